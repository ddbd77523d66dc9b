/**
 * Robustness through the real broker and triggers, part 3: everything at once. The failover example
 * runs once cleanly (the baseline); then a second execution runs while every event is delivered twice
 * in shuffled order, run-action is killed (SIGKILL) as the traffic switch reaches the target (the host
 * restarts it), and the API server answers 30 % of the functions' updates and patches of
 * DRPlanExecutions, DRPlans and DRWorkflows (the objects and their status) with 409 Conflict. It must
 * end as the clean run did, apply nothing twice, leave nothing open, lose no event, and revert cleanly
 * once the faults are off.
 *
 * Which writes get conflicts: the ones where a real server can answer Conflict, i.e. the writes that
 * carry the resourceVersion they were decided from (every status write, the lock, labels, finalizers).
 * The functions' other writes are left alone, as a real server would: creates (Events, Jobs,
 * Localizations, executions) collide only as AlreadyExists, and the ConfigMap action is a forced
 * server-side apply without a resourceVersion, which a real server does not refuse with Conflict.
 * The Job controller is the server's own client and never gets a fault.
 *
 * The traffic switch is slowed to 2 s so that the kill lands while it is in flight, and the actions
 * that may be in flight get a 4 s timeout so that the lost attempt is noticed soon (as in
 * robustness-crash.test.ts); the clean run uses the same settings, so the two are comparable.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DRPlanExecutionStatus } from '../../shared/api/index.js';
import type { KubeObject } from '../../shared/kube/types.js';
import type { ApplicationState, RecordedRequest } from '../../local/demo-target/index.js';
import type { ConflictFaults, FaultInjection } from '../../local/apiserver/faults.js';
import type { LogRecord } from '../../local/eventing/event-log.js';
import { localStackOnly } from '../support/e2e-cluster.js';
import { duplicateEverything, lastSeq, renamed, revert, settle, undelivered } from '../support/chaos-helpers.js';
import {
  actionPhases,
  appliedEffects,
  applyExample,
  DR_API,
  FUNCTIONS_NAMESPACE,
  inFlight,
  isFinished,
  NAMESPACE,
  poll,
  startE2eEnv,
  statusOf,
  unfinishedParts,
  waitForStatus,
  type E2eEnv,
} from '../support/e2e-helpers.js';

const skip = localStackOnly("duplicates events through the local broker's event log, kills run-action and injects API faults");

const FAULTS: ConflictFaults = { conflictRatio: 0.3, verbs: ['update', 'patch'], resources: ['drplanexecutions', 'drplans', 'drworkflows'] };
const TIMEOUTS = { 'switch-traffic': '4s', 'activate-secondary': '4s' };
const SLOW_SWITCH = { method: 'POST', path: '/traffic/switch', delayMs: 2000 };

/** Keys the target processed (applied or failed on purpose) more than once; a repeat answered from its key store is not processing. */
function keysProcessedTwice(requests: readonly RecordedRequest[]): string[] {
  const processed = requests.filter((r) => r.outcome === 'handled' || r.outcome === 'injected').map((r) => r.idempotencyKey ?? '(none)');
  return processed.filter((key, index) => processed.indexOf(key) !== index);
}

/** The paths of the requests whose Idempotency-Key the target had seen before. */
const repeatedPaths = (requests: readonly RecordedRequest[]): string[] => [...new Set(requests.filter((r) => r.duplicate).map((r) => `${r.method} ${r.path}`))];

const planStatus = async (env: E2eEnv): Promise<Record<string, unknown>> => {
  const plan = await env.kube.get({ apiVersion: DR_API, kind: 'DRPlan', name: 'shop-failover', namespace: NAMESPACE });
  return (plan?.status ?? {}) as Record<string, unknown>;
};

interface ChaosRun {
  status: DRPlanExecutionStatus;
  requests: RecordedRequest[];
  duplicated: number;
  duplicationErrors: string[];
  injections: FaultInjection[];
  killedPids: number[];
  records: LogRecord[];
}

/** Kills every run-action replica once the traffic switch is being applied; returns the pids killed. */
async function killRunActionMidPlan(env: E2eEnv): Promise<number[]> {
  await poll(() => (inFlight(env.target, '/traffic/switch') ? true : undefined), 'the traffic switch to reach the target', 60_000);
  const pids = env.stack.host.replicas(FUNCTIONS_NAMESPACE, 'run-action').flatMap((replica) => (replica.pid === undefined ? [] : [replica.pid]));
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  return pids;
}

/** Runs `execution` as `name` with duplicated events, a killed run-action and injected conflicts; the faults are off again when it returns. */
async function runWithChaos(env: E2eEnv, execution: KubeObject, name: string): Promise<ChaosRun> {
  const fromSeq = lastSeq(env);
  const injectedBefore = env.stack.apiServer.faults.injections().length;
  const duplicator = duplicateEverything(env);
  env.stack.apiServer.faults.set(FAULTS);
  let status: DRPlanExecutionStatus;
  let killedPids: number[];
  let pump: { duplicated: number; errors: string[] };
  try {
    await env.kube.create(renamed(execution, name));
    killedPids = await killRunActionMidPlan(env);
    status = await waitForStatus(env, name, isFinished, 90_000);
    // Still under faults and duplicates: whatever arrives late must not reopen anything.
    await settle(env);
  } finally {
    env.stack.apiServer.faults.clear();
    pump = await duplicator.stop();
  }
  await settle(env);
  const records = env.stack.eventing.eventLog.records().filter((r) => r.seq > fromSeq);
  const injections = env.stack.apiServer.faults.injections().slice(injectedBefore);
  return { status, requests: env.target.requests(), duplicated: pump.duplicated, duplicationErrors: pump.errors, injections, killedPids, records };
}

describe('robustness: duplicated shuffled events, a killed run-action and conflicting API writes, all at once', { skip, timeout: 240_000 }, () => {
  let env: E2eEnv | undefined;
  let clean: DRPlanExecutionStatus;
  let cleanRequests: RecordedRequest[];
  let targetAfterCleanRevert: ApplicationState;
  let chaos: ChaosRun;
  const running = (): E2eEnv => {
    assert.ok(env !== undefined, 'the environment did not start');
    return env;
  };

  before(async () => {
    env = await startE2eEnv([SLOW_SWITCH]);
    const execution = await applyExample(env, TIMEOUTS);
    await env.kube.create(renamed(execution, 'chaos-clean'));
    clean = await waitForStatus(env, 'chaos-clean', isFinished);
    await settle(env);
    cleanRequests = env.target.requests();
    await revert(env, 'chaos-clean');
    await settle(env);
    targetAfterCleanRevert = env.target.state();
    env.target.reset();
    chaos = await runWithChaos(env, execution, 'chaos');
  });

  after(async () => {
    await env?.stop();
  });

  test('the clean run Succeeds with every action Succeeded (the baseline)', () => {
    assert.equal(clean.phase, 'Succeeded', clean.message);
    const phases = Object.values(actionPhases(clean));
    assert.equal(phases.length, 9);
    assert.deepEqual(
      phases.filter((phase) => phase !== 'Succeeded'),
      [],
    );
  });

  test('all three disturbances really happened: conflicts on execution status writes, duplicated events, a restarted run-action', (t) => {
    const onExecutionStatus = chaos.injections.filter((i) => i.resource === 'drplanexecutions.dr.bkbcs.tencent.com' && i.subresource === 'status');
    const retried = chaos.records.filter((r) => r.record === 'delivery' && r.attempts > 1).length;
    t.diagnostic(
      `${chaos.injections.length} conflicts injected (${onExecutionStatus.length} on execution status), ${chaos.duplicated} events duplicated, ${retried} deliveries retried by the broker`,
    );
    assert.ok(onExecutionStatus.length > 0, `no conflict injected on an execution status write: ${JSON.stringify(chaos.injections)}`);
    assert.deepEqual(chaos.duplicationErrors, []);
    assert.ok(chaos.duplicated >= 10, `only ${chaos.duplicated} events duplicated`);
    assert.ok(chaos.killedPids.length > 0, 'no run-action process to kill');
    const replicas = running().stack.host.replicas(FUNCTIONS_NAMESPACE, 'run-action');
    assert.ok(
      replicas.every((replica) => replica.restarts >= 1 && replica.pid !== undefined && !chaos.killedPids.includes(replica.pid)),
      JSON.stringify(replicas),
    );
  });

  test('the execution ends with the same phase and per-action phases as the clean run', () => {
    assert.equal(chaos.status.phase, clean.phase, chaos.status.message);
    assert.deepEqual(actionPhases(chaos.status), actionPhases(clean));
  });

  test('each Idempotency-Key is processed once, and only the request in flight at the kill is seen again', () => {
    assert.ok(
      chaos.requests.every((r) => r.idempotencyKey !== undefined),
      'a request without Idempotency-Key',
    );
    assert.deepEqual(keysProcessedTwice(chaos.requests), []);
    // The killed attempt is requested again with its identity; the target answers that from its key store.
    assert.deepEqual(
      repeatedPaths(chaos.requests).filter((path) => path !== 'POST /traffic/switch'),
      [],
    );
  });

  test('the target applies each effect as often as in the clean run', () => {
    assert.deepEqual(appliedEffects(chaos.requests), appliedEffects(cleanRequests));
  });

  test('nothing is left Running or Pending, and the plan lock is released', async () => {
    const status = await statusOf(running(), 'chaos');
    assert.ok(status !== undefined);
    assert.deepEqual(unfinishedParts(status), []);
    assert.equal((await planStatus(running())).currentExecution, undefined);
  });

  /*
   * What may and may not happen to deliveries. The broker records one outcome per delivery, after its
   * retries. A delivery that first failed (a handler answering 409 after its own conflict retries, a
   * 5xx, the connection reset by the killed run-action) and then succeeded on a broker retry ends
   * `delivered`: that is the contract working, so it is fine. A delivery that ends dead-lettered or
   * lost, or an event sunk or dropped, is not: no event here is malformed, a 409 is retryable by
   * contract, and the host restarts run-action well within the broker's retry budget (5 retries,
   * ≈ 6 s of backoff), so any such record means work was given up on.
   */
  test('no event is dead-lettered, lost, sunk or dropped', () => {
    assert.deepEqual(undelivered(chaos.records, 0), []);
  });

  test('with the faults off, the chaos execution reverts and the target ends as after the clean run’s revert', async () => {
    const current = running();
    await revert(current, 'chaos');
    await settle(current);
    assert.deepEqual(current.target.state(), targetAfterCleanRevert);
    const reverted = await statusOf(current, 'chaos-revert');
    assert.ok(reverted !== undefined);
    assert.deepEqual(unfinishedParts(reverted), []);
    assert.equal((await planStatus(current)).currentExecution, undefined);
  });
});
