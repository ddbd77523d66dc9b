import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPlanStages } from '../../../../functions/plan-stages/plan-stages.js';
import type { ActionFinished } from '../../../../shared/event-data.js';
import { HandlerError } from '../../../../shared/errors.js';
import type { Outcome } from '../../../../shared/function-deps.js';
import type { ObjectKey } from '../../../../shared/kube/types.js';
import { FakeKube } from '../../../support/fake-kube.js';
import {
  actionPhase,
  claim,
  driveToEnd,
  executionKey,
  executionObject,
  harness,
  id,
  ok,
  report,
  requestedPaths,
  requestsIn,
  seedPlan,
  stageOf,
  statusOf,
} from '../../../support/orchestration-helpers.js';
import type { Harness } from '../../../support/orchestration-helpers.js';

function seedOneStage(h: Harness): void {
  seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], { wf: ['a', 'b'] });
  h.kube.seed(executionObject('run-1', 'p'));
}

/** Starts run-1 and finishes its first action; returns the action.finished data. */
async function firstActionDone(h: Harness): Promise<ActionFinished> {
  const [request] = requestsIn(await createPlanStages(h).reconcile(id('run-1')));
  if (request === undefined) throw new Error('no request');
  await claim(h, request);
  return report(h, request, ok);
}

interface DuplicateCase {
  name: string;
  prepare(h: Harness): Promise<() => Promise<Outcome>>;
}

const duplicates: DuplicateCase[] = [
  {
    name: 'the add event of a new execution',
    prepare: (h) => {
      seedOneStage(h);
      return Promise.resolve(() => createPlanStages(h).reconcile(id('run-1')));
    },
  },
  {
    name: 'an action.finished',
    prepare: async (h) => {
      seedOneStage(h);
      const finished = await firstActionDone(h);
      return () => createPlanStages(h).onActionFinished(finished);
    },
  },
  {
    name: 'the update event of a finished execution',
    prepare: async (h) => {
      seedOneStage(h);
      await driveToEnd(h, createPlanStages(h), 'run-1');
      return () => createPlanStages(h).reconcile(id('run-1'));
    },
  },
  {
    name: 'the resync tick',
    prepare: async (h) => {
      seedOneStage(h);
      await createPlanStages(h).reconcile(id('run-1'));
      h.clock.advance(45);
      return () => createPlanStages(h).resync();
    },
  },
  {
    name: 'the update event of an execution being deleted',
    prepare: async (h) => {
      seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], { wf: ['a'] });
      h.kube.seed({ ...executionObject('run-1', 'p'), metadata: { name: 'run-1', namespace: 'default', finalizers: ['example.com/keep'] } });
      await createPlanStages(h).reconcile(id('run-1'));
      await h.kube.remove(executionKey('run-1'));
      return () => createPlanStages(h).reconcile(id('run-1'));
    },
  },
];

describe('plan-stages under duplicate delivery', () => {
  for (const c of duplicates) {
    test(`${c.name} delivered twice: the second delivery writes nothing and replies nothing`, async () => {
      const h = harness();
      const deliver = await c.prepare(h);
      await deliver();
      const writes = h.kube.writes().length;
      const events = h.kube.events.length;

      const replies = await deliver();

      assert.deepEqual(replies, []);
      assert.equal(h.kube.writes().length, writes);
      assert.equal(h.kube.events.length, events);
    });
  }

  test('an action.finished that arrives before its result is written changes nothing', async () => {
    const h = harness();
    seedOneStage(h);
    const [request] = requestsIn(await createPlanStages(h).reconcile(id('run-1')));
    if (request === undefined) throw new Error('no request');
    const writes = h.kube.writes().length;

    const replies = await createPlanStages(h).onActionFinished({ ...request, phase: 'Succeeded' });

    assert.deepEqual(replies, []);
    assert.equal(h.kube.writes().length, writes);
    assert.equal(actionPhase(await statusOf(h.kube, 'run-1'), 's/0/a'), 'Pending');
  });
});

/** A FakeKube that runs `interleave` just before the next status write to `key`, as another writer would. */
class InterleavingKube extends FakeKube {
  private hook: { key: string; run: () => Promise<void> } | undefined;

  beforeNextStatusWrite(key: ObjectKey, run: () => Promise<void>): void {
    this.hook = { key: `${key.kind}/${key.name}`, run };
  }

  override async mergePatchStatus(key: ObjectKey, patch: Record<string, unknown>): ReturnType<FakeKube['mergePatchStatus']> {
    const hook = this.hook;
    if (hook !== undefined && hook.key === `${key.kind}/${key.name}`) {
      this.hook = undefined;
      await hook.run();
    }
    return super.mergePatchStatus(key, patch);
  }
}

describe('plan-stages under write conflicts', () => {
  test('a 409 on a status write is retried from a fresh read and the step completes', async () => {
    const h = harness();
    seedOneStage(h);
    const finished = await firstActionDone(h);
    h.kube.failNextWrites(1);
    const callsBefore = h.kube.calls.length;

    const replies = await createPlanStages(h).onActionFinished(finished);

    assert.deepEqual(requestedPaths(replies), ['s/0/b']);
    const statusWrites = h.kube.calls
      .slice(callsBefore)
      .filter((call) => call.verb === 'mergePatchStatus' && call.key.endsWith('/DRPlanExecution/default/run-1'));
    assert.equal(statusWrites.length, 2, 'the first write met the 409, the second went through');
    assert.equal(actionPhase(await statusOf(h.kube, 'run-1'), 's/0/b'), 'Pending');
  });

  test('a decision is made again when another writer moved first, and keeps what that writer wrote', async () => {
    const kube = new InterleavingKube();
    const h = harness(kube);
    seedOneStage(h);
    const [request] = requestsIn(await createPlanStages(h).reconcile(id('run-1')));
    if (request === undefined) throw new Error('no request');
    h.clock.advance(31);
    kube.beforeNextStatusWrite(executionKey('run-1'), () => claim(h, request));

    const replies = await createPlanStages(h).resync();

    assert.deepEqual(replies, [], 'the re-request decided on the stale read is dropped: the attempt was claimed meanwhile');
    assert.equal(actionPhase(await statusOf(h.kube, 'run-1'), 's/0/a'), 'Running');
  });

  test('a conflict that does not go away ends in a 409 HandlerError naming the execution', async () => {
    const h = harness();
    seedOneStage(h);
    const finished = await firstActionDone(h);
    h.kube.failNextWrites(50);

    await assert.rejects(createPlanStages(h).onActionFinished(finished), (error: unknown) => {
      assert.ok(error instanceof HandlerError);
      assert.equal(error.code, 409);
      assert.equal(error.message, 'execution default/run-1: changed by someone else on each of 20 tries');
      return true;
    });
  });
});
