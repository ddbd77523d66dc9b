/**
 * Robustness through the real broker and triggers, part 2: processes dying in the middle of a plan.
 * run-action is killed (SIGKILL) while the demo target is slowly applying the traffic switch, and the
 * host restarts it; then, on another stack, the whole stack is stopped while the database fence is in
 * flight and started again on the same state folder. Either way the plan must finish, and nothing
 * that was applied may be applied again.
 *
 * The actions that may be in flight get a 4 s timeout (instead of the example's 10 s or 1 m) so that a
 * lost attempt is noticed sooner; the functions' RECONCILE_INTERVAL is 2 s, so a lost request is sent
 * again quickly. "Each effect is applied once" holds because an attempt lost past its timeout is
 * requested again with the same identity (the same Idempotency-Key) before it may count as failed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DRPlanExecutionStatus } from '../../shared/api/index.js';
import type { RecordedRequest } from '../../local/demo-target/index.js';
import { localStackOnly } from '../support/e2e-cluster.js';
import {
  actionPhases,
  appliedEffects,
  applyExample,
  FUNCTIONS_NAMESPACE,
  inFlight,
  isFinished,
  jobNames,
  poll,
  startE2eEnv,
  unfinishedParts,
  waitForStatus,
  type E2eEnv,
} from '../support/e2e-helpers.js';

/** Each effect of the failover example, applied once by a complete Execute. */
const EFFECTS_ONCE = {
  'POST /db/fence {"site":"primary"}': 1,
  'POST /primary/maintenance {"enabled":true}': 1,
  'POST /traffic/switch {"to":"secondary"}': 1,
};
const TARGET_AFTER_EXECUTE = { traffic: 'secondary', maintenance: { primary: true, secondary: false }, database: 'primary', fenced: ['primary'] };

/** Keys the target processed more than once (a repeat answered from its key store is not processing). */
function keysProcessedTwice(requests: readonly RecordedRequest[]): string[] {
  const processed = requests.filter((r) => r.outcome === 'handled' || r.outcome === 'injected').map((r) => r.idempotencyKey ?? '(none)');
  return processed.filter((key, index) => processed.indexOf(key) !== index);
}

const allSucceeded = (status: DRPlanExecutionStatus): string[] =>
  Object.entries(actionPhases(status))
    .filter(([, phase]) => phase !== 'Succeeded')
    .map(([name, phase]) => `${name}: ${phase}`);

describe(
  'robustness: run-action killed in the middle of a plan',
  { skip: localStackOnly('kills run-action, and needs RECONCILE_INTERVAL=2s in the functions'), timeout: 90_000 },
  () => {
    let env: E2eEnv | undefined;
    let final: DRPlanExecutionStatus;
    let killedPids: number[];
    const running = (): E2eEnv => {
      assert.ok(env !== undefined, 'the environment did not start');
      return env;
    };

    before(async () => {
      env = await startE2eEnv([{ method: 'POST', path: '/traffic/switch', delayMs: 2000 }]);
      const current = env;
      const execution = await applyExample(current, { 'switch-traffic': '4s', 'activate-secondary': '4s' });
      await current.kube.create(execution);
      const name = execution.metadata.name ?? '';
      await poll(() => (inFlight(current.target, '/traffic/switch') ? true : undefined), 'the traffic switch to reach the target', 40_000);
      const replicas = current.stack.host.replicas(FUNCTIONS_NAMESPACE, 'run-action');
      killedPids = replicas.flatMap((replica) => (replica.pid === undefined ? [] : [replica.pid]));
      for (const pid of killedPids) process.kill(pid, 'SIGKILL');
      final = await waitForStatus(current, name, isFinished);
    });

    after(async () => {
      await env?.stop();
    });

    test('run-action was killed and the host restarted it', () => {
      assert.ok(killedPids.length > 0, 'no run-action process to kill');
      const replicas = running().stack.host.replicas(FUNCTIONS_NAMESPACE, 'run-action');
      assert.ok(
        replicas.every((replica) => replica.restarts >= 1 && replica.pid !== undefined && !killedPids.includes(replica.pid)),
        JSON.stringify(replicas),
      );
    });

    test('the execution still Succeeds with every action Succeeded', () => {
      assert.equal(final.phase, 'Succeeded', final.message);
      assert.deepEqual(allSucceeded(final), []);
      assert.deepEqual(unfinishedParts(final), []);
    });

    test('no Idempotency-Key is processed twice, and the target ends in the failed-over state', () => {
      const requests = running().target.requests();
      assert.deepEqual(keysProcessedTwice(requests), []);
      assert.deepEqual(running().target.state(), TARGET_AFTER_EXECUTE);
    });

    test('each effect is applied once, the one in flight at the crash included', () => {
      assert.deepEqual(appliedEffects(running().target.requests()), EFFECTS_ONCE);
    });

    test('one promotion Job is created', async () => {
      const jobs = await jobNames(running());
      assert.equal(jobs.length, 1, jobs.join(', '));
    });
  },
);

describe(
  'robustness: the whole stack stopped in the middle of a plan and started again on the same state',
  { skip: localStackOnly('stops the stack and starts it again on its state folder'), timeout: 90_000 },
  () => {
    let env: E2eEnv | undefined;
    let final: DRPlanExecutionStatus;
    let succeededBeforeStop: string[];
    let requestsBeforeStop: RecordedRequest[];
    const running = (): E2eEnv => {
      assert.ok(env !== undefined, 'the environment did not start');
      return env;
    };

    before(async () => {
      env = await startE2eEnv([{ method: 'POST', path: '/db/fence', delayMs: 2000 }]);
      const current = env;
      const execution = await applyExample(current, { 'fence-old-primary': '4s', 'enter-maintenance': '4s', 'scale-down-primary': '4s' });
      await current.kube.create(execution);
      const name = execution.metadata.name ?? '';
      await poll(() => (inFlight(current.target, '/db/fence') ? true : undefined), 'the database fence to reach the target', 40_000);
      const status = await waitForStatus(current, name, () => true);
      succeededBeforeStop = Object.entries(actionPhases(status))
        .filter(([, phase]) => phase === 'Succeeded')
        .map(([action]) => action);
      await current.stopStack();
      requestsBeforeStop = current.target.requests();
      await current.restartStack();
      final = await waitForStatus(current, name, isFinished);
    });

    after(async () => {
      await env?.stop();
    });

    test('the stack was stopped after some actions had Succeeded and before the plan finished', () => {
      assert.ok(succeededBeforeStop.length > 0, 'no action had Succeeded yet');
      assert.ok(succeededBeforeStop.length < 9, 'every action had Succeeded already');
    });

    test('the plan finishes after the restart, every action Succeeded', () => {
      assert.equal(final.phase, 'Succeeded', final.message);
      assert.deepEqual(allSucceeded(final), []);
      assert.deepEqual(unfinishedParts(final), []);
    });

    test('no action that had Succeeded before the stop sends a request again after the restart', () => {
      const after = running().target.requests().slice(requestsBeforeStop.length);
      const again = after.filter((r) => succeededBeforeStop.some((path) => (r.idempotencyKey ?? '').includes(`/${path}/`)));
      assert.deepEqual(
        again.map((r) => `${r.method} ${r.path} ${r.idempotencyKey ?? ''}`),
        [],
      );
    });

    test('no Idempotency-Key is processed twice, and the target ends in the failed-over state', () => {
      const requests = running().target.requests();
      assert.deepEqual(keysProcessedTwice(requests), []);
      assert.deepEqual(running().target.state(), TARGET_AFTER_EXECUTE);
    });

    test('each effect is applied once, the one in flight at the crash included', () => {
      assert.deepEqual(appliedEffects(running().target.requests()), EFFECTS_ONCE);
    });

    test('one promotion Job is created', async () => {
      const jobs = await jobNames(running());
      assert.equal(jobs.length, 1, jobs.join(', '));
    });
  },
);
