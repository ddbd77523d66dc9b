/**
 * Robustness through the real broker and triggers, part 1: the failover example runs once cleanly
 * (the baseline); every event logged for it is then replayed into the broker, which must change
 * nothing; then a second execution runs with every event delivered twice, in shuffled order, and must
 * end as the clean run did. One stack for the file; the demo target is reset between executions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DRPlanExecutionStatus } from '../../shared/api/index.js';
import type { KubeObject } from '../../shared/kube/types.js';
import type { RecordedRequest } from '../../local/demo-target/index.js';
import { localStackOnly } from '../support/e2e-cluster.js';
import { duplicateEverything, lastSeq, renamed, revert, settle, undelivered } from '../support/chaos-helpers.js';
import {
  actionPhases,
  appliedEffects,
  applyExample,
  isFinished,
  repeatedKeys,
  startE2eEnv,
  statusOf,
  unfinishedParts,
  waitForStatus,
  type E2eEnv,
} from '../support/e2e-helpers.js';

const skip = localStackOnly("replays and duplicates events through the local broker's event log");

describe('robustness: replaying events and delivering each twice, through the real broker', { skip, timeout: 120_000 }, () => {
  let env: E2eEnv | undefined;
  let execution: KubeObject;
  let clean: DRPlanExecutionStatus;
  let cleanRequests: RecordedRequest[];
  let since: Date;
  const running = (): E2eEnv => {
    assert.ok(env !== undefined, 'the environment did not start');
    return env;
  };

  before(async () => {
    env = await startE2eEnv();
    execution = await applyExample(env);
    since = new Date();
    await env.kube.create(renamed(execution, 'robust-clean'));
    clean = await waitForStatus(env, 'robust-clean', isFinished);
    await settle(env);
    cleanRequests = env.target.requests();
  });

  after(async () => {
    await env?.stop();
  });

  test('the clean run Succeeds with every action Succeeded (the baseline the others are compared with)', () => {
    assert.equal(clean.phase, 'Succeeded', clean.message);
    const phases = Object.values(actionPhases(clean));
    assert.equal(phases.length, 9);
    assert.deepEqual(
      phases.filter((phase) => phase !== 'Succeeded'),
      [],
    );
  });

  test('replaying every event of the finished execution sends nothing new to the target and leaves its status unchanged', async () => {
    const current = running();
    const statusBefore = await statusOf(current, 'robust-clean');
    const requestsBefore = current.target.requests().length;
    const fromSeq = lastSeq(current);

    const replayed = current.stack.eventing.replay({ since });
    await settle(current);

    assert.ok(replayed.length >= 10, `only ${replayed.length} events replayed`);
    assert.deepEqual(current.target.requests().slice(requestsBefore), []);
    assert.deepEqual(await statusOf(current, 'robust-clean'), statusBefore);
    assert.deepEqual(undelivered(current.stack.eventing.eventLog.records(), fromSeq), []);
  });

  describe('with every event delivered twice, in shuffled order', () => {
    let doubled: DRPlanExecutionStatus;
    let requests: RecordedRequest[];
    let pump: { duplicated: number; errors: string[] };
    let fromSeq: number;

    before(async () => {
      const current = running();
      await revert(current, 'robust-clean');
      await settle(current);
      current.target.reset();
      fromSeq = lastSeq(current);
      const duplicator = duplicateEverything(current);
      try {
        await current.kube.create(renamed(execution, 'robust-doubled'));
        doubled = await waitForStatus(current, 'robust-doubled', isFinished);
        await settle(current);
      } finally {
        pump = await duplicator.stop();
      }
      await settle(current);
      requests = current.target.requests();
    });

    test('every event was duplicated without error', () => {
      assert.deepEqual(pump.errors, []);
      assert.ok(pump.duplicated >= 10, `only ${pump.duplicated} events duplicated`);
    });

    test('the execution ends with the same phase and per-action phases as the clean run', () => {
      assert.equal(doubled.phase, clean.phase, doubled.message);
      assert.deepEqual(actionPhases(doubled), actionPhases(clean));
    });

    test('the target sees each Idempotency-Key exactly once and applies each effect as often as in the clean run', () => {
      assert.ok(
        requests.every((r) => r.idempotencyKey !== undefined),
        'a request without Idempotency-Key',
      );
      assert.deepEqual(repeatedKeys(requests), {});
      assert.deepEqual(appliedEffects(requests), appliedEffects(cleanRequests));
    });

    test('nothing is left Running or Pending', async () => {
      const status = await statusOf(running(), 'robust-doubled');
      assert.ok(status !== undefined);
      assert.deepEqual(unfinishedParts(status), []);
    });

    test('nothing is dead-lettered, lost or dropped', () => {
      assert.deepEqual(undelivered(running().stack.eventing.eventLog.records(), fromSeq), []);
    });
  });
});
