/**
 * Each behaviour of the functions once more, end to end through the real broker and triggers: objects
 * are created through the local API server (as `kubectl apply` would) and the stack reacts. Failure
 * policies (workflow and stage), an HTTP action timing out and retried, a Job timing out, the plan lock,
 * a referenced workflow held on delete, the revert of a Failed execution, cancel both ways, and an
 * attempt gone silent turning `Unknown` and recovering.
 *
 * One stack for the file. The cases run at once, each in its own namespace and with its own tag on the
 * URLs it points at the demo target; the `Unknown` case kills run-action, so it runs alone, last. The
 * functions get `UNKNOWN_AFTER=4s` (the design's 2 minutes, shortened; run-action then beats every 1 s).
 *
 * With DRPLAN_E2E_KUBECONFIG set the same cases run on that cluster (docs/e2e-on-a-cluster.md), with
 * waits that allow for its resync tick; the `Unknown` case needs the local stack and is skipped there.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BehaviourInput } from '../../local/demo-target/index.js';
import { allowing, localStackOnly } from '../support/e2e-cluster.js';
import { needsTool } from '../support/tools.js';
import { runKubectl } from '../support/kubectl.js';
import { runCli } from '../cli/helpers.js';
import { FUNCTIONS_NAMESPACE, isFinished, poll, startE2eEnvWith, TARGET_ORIGIN, ticksPassed, type E2eEnv } from '../support/e2e-helpers.js';
import {
  actionsOf,
  caseOf,
  eventsOf,
  httpGet,
  isReady,
  phasesOf,
  queryParam,
  readyCondition,
  recordStatuses,
  rollbackGet,
  stagesOf,
  transitions,
  workflowsOf,
  type BehaviourCase,
  type Json,
} from '../support/behaviour-fixtures.js';

const CANCEL = 'dr.bkbcs.tencent.com/cancel';
/** Runs the real kubectl against the stack's kubeconfig. */
const kubectl = (kubeconfig: string, ...args: string[]) => runKubectl(args, { kubeconfig, timeoutMs: allowing(120_000) });
const TRIGGER = 'dr.bkbcs.tencent.com/trigger';
const PAUSE = 'dr.bkbcs.tencent.com/pause';
const PROTECTION = 'dr.bkbcs.tencent.com/workflow-protection';
const UNKNOWN_AFTER_SECONDS = 4;

/** Demo-target endpoints: one that always answers 200, one that answers 405 to a GET (a failure no retry fixes). */
const OK = '/primary/health';
const REFUSED = '/db/fence';
/** Endpoints slowed down for one case each (behaviours match a method and path, whatever the query). */
const SLOW = { status: '/db/status', traffic: '/traffic', health: '/secondary/health', serving: '/primary/serving', switch: '/traffic/switch' } as const;
const BEHAVIOURS: BehaviourInput[] = [
  // slower than all three attempts of the timeout case together: its first request never ends in time
  { method: 'GET', path: SLOW.status, delayMs: 15_000 },
  { method: 'GET', path: SLOW.traffic, delayMs: 1500 },
  { method: 'GET', path: SLOW.health, delayMs: 3000 },
  { method: 'GET', path: SLOW.serving, delayMs: 3000 },
  // long enough that only an abort ends the request before its answer
  { method: 'POST', path: SLOW.switch, delayMs: 20_000 },
];

const REFUSED_MESSAGE = new RegExp(`^HTTP 405 from GET ${TARGET_ORIGIN}/db/fence \\(expected any 2xx\\)$`);

const threeSteps = (c: BehaviourCase): Json[] => [
  httpGet('first', c.url(OK, 'first')),
  httpGet('second', c.url(REFUSED, 'second')),
  httpGet('third', c.url(OK, 'third')),
];

/** Sets up a plan of one stage running one workflow of `actions` (with `spec`), named `plan` and `steps`. */
async function onePlan(c: BehaviourCase, actions: readonly Json[], spec: Json = {}): Promise<void> {
  await c.setUp([c.workflow('steps', actions, spec), c.plan('plan', [{ name: 'only', workflows: ['steps'] }])]);
}

/** Waits until the target has received the case's request `step` and not answered it yet. */
async function whileInFlight(c: BehaviourCase, step: string): Promise<void> {
  await poll(
    () => (c.requests().some((r) => queryParam(r, 'step') === step && r.finishedMs === undefined) ? true : undefined),
    `request ${step} of ${c.namespace} to be in flight`,
    allowing(60_000),
  );
}

/** Waits until the target has answered every request of the case, then two resync ticks more. */
async function settled(env: E2eEnv, c: BehaviourCase): Promise<void> {
  await poll(
    () => (c.requests().every((r) => r.finishedMs !== undefined) ? true : undefined),
    `the requests of ${c.namespace} to be answered`,
    allowing(60_000),
  );
  await ticksPassed(env, 2);
}

/** The plan's status once the execution `name` is in its history and no execution holds its lock. */
async function planAfter(c: BehaviourCase, name: string): Promise<Json> {
  return c.waitObject(
    'DRPlan',
    'plan',
    (plan) => {
      const status = (plan?.status ?? {}) as Json;
      const history = (status.executionHistory ?? []) as Json[];
      return status.currentExecution === undefined && history.some((record) => record.name === name) ? status : undefined;
    },
    `to record ${name} and release its lock`,
  );
}

describe('behaviours of the functions, end to end through the real broker', { timeout: allowing(240_000, 10) }, () => {
  let env: E2eEnv | undefined;
  const running = (): E2eEnv => {
    assert.ok(env !== undefined, 'the environment did not start');
    return env;
  };

  before(async () => {
    env = await startE2eEnvWith({ behaviours: BEHAVIOURS, extraEnv: { UNKNOWN_AFTER: `${UNKNOWN_AFTER_SECONDS}s` } });
  });

  after(async () => {
    await env?.stop();
  });

  describe('independent cases, run at once', { concurrency: true }, () => {
    test('kubectl wait --for=condition=Succeeded (and Failed, Complete) returns when an execution ends so', { skip: needsTool('kubectl') }, async () => {
      const c = caseOf(running(), 'wait');
      await c.setUp([
        c.workflow('good', [httpGet('one', c.url(OK, 'one'))]),
        c.workflow('bad', threeSteps(c)),
        c.plan('plan-good', [{ name: 'only', workflows: ['good'] }]),
        c.plan('plan-bad', [{ name: 'only', workflows: ['bad'] }]),
      ]);
      await running().kube.create(c.execution('ok', 'plan-good'));
      await running().kube.create(c.execution('ko', 'plan-bad'));
      const wait = (condition: string, name: string) =>
        kubectl(
          running().kubeconfigPath,
          'wait',
          `--for=condition=${condition}`,
          `drpe/${name}`,
          '-n',
          c.namespace,
          `--timeout=${Math.round(allowing(60_000) / 1000)}s`,
        );
      const [succeeded, failed, complete] = await Promise.all([wait('Succeeded', 'ok'), wait('Failed', 'ko'), wait('Complete', 'ko')]);
      assert.equal(succeeded.code, 0, succeeded.stderr);
      assert.match(succeeded.stdout, /drplanexecution\.dr\.bkbcs\.tencent\.com\/ok condition met/);
      assert.equal(failed.code, 0, failed.stderr);
      assert.equal(complete.code, 0, complete.stderr);
      const status = await c.status('ko');
      const byType = Object.fromEntries((status?.conditions ?? []).map((condition) => [condition.type, [condition.status, condition.reason]]));
      assert.deepEqual(
        { complete: byType.Complete, succeeded: byType.Succeeded, failed: byType.Failed },
        { complete: ['True', 'Failed'], succeeded: ['False', 'Failed'], failed: ['True', 'Failed'] },
      );
    });

    test('FailFast: the failing 2nd of 3 actions is Failed, the 3rd Skipped and never sent, the execution Failed', async () => {
      const c = caseOf(running(), 'failfast');
      await onePlan(c, threeSteps(c), { failurePolicy: 'FailFast' });

      const status = await c.run('run', 'plan');

      const actions = actionsOf(status);
      assert.deepEqual(phasesOf(actions), { 'only/0/first': 'Succeeded', 'only/0/second': 'Failed', 'only/0/third': 'Skipped' });
      assert.match(actions['only/0/second']?.message ?? '', REFUSED_MESSAGE);
      assert.equal(actions['only/0/third']?.message, 'skipped: action "second" failed (workflow failurePolicy FailFast)');
      assert.equal(status.phase, 'Failed');
      assert.match(status.message ?? '', /^stage "only", workflow only\/0 \(steps\), action "second" failed: HTTP 405 from GET /);
      assert.deepEqual(c.steps(), ['first', 'second']);
    });

    test('Continue: after the failing 2nd action the 3rd still runs, and the workflow and execution end Failed', async () => {
      const c = caseOf(running(), 'continue');
      await onePlan(c, threeSteps(c), { failurePolicy: 'Continue' });

      const status = await c.run('run', 'plan');

      const actions = actionsOf(status);
      assert.deepEqual(phasesOf(actions), { 'only/0/first': 'Succeeded', 'only/0/second': 'Failed', 'only/0/third': 'Succeeded' });
      const [phase, message] = workflowsOf(status)['only/0'] ?? [];
      assert.equal(phase, 'Failed');
      assert.match(message ?? '', /^action "second" failed: HTTP 405 from GET /);
      assert.equal(status.phase, 'Failed');
      assert.deepEqual(c.steps(), ['first', 'second', 'third']);
    });

    test("stage policy Stop (the plan's default): the stage's next workflow and the dependent stage are Skipped", async () => {
      const c = caseOf(running(), 'stage-stop');
      await c.setUp([
        c.workflow('breaks', [httpGet('refused', c.url(REFUSED, 'refused'))]),
        c.workflow('next', [httpGet('reached', c.url(OK, 'reached'))]),
        c.workflow('later', [httpGet('later', c.url(OK, 'later'))]),
        c.plan('plan', [
          { name: 'first', workflows: ['breaks', 'next'] },
          { name: 'then', dependsOn: ['first'], workflows: ['later'] },
        ]),
      ]);

      const status = await c.run('run', 'plan');

      assert.equal(status.resolved?.stages?.[0]?.failurePolicy, 'Stop');
      const stopped = 'stopped: workflow first/0 (breaks) failed (stage failurePolicy Stop)';
      assert.deepEqual(phasesOf(actionsOf(status)), { 'first/0/refused': 'Failed', 'first/1/reached': 'Skipped', 'then/0/later': 'Skipped' });
      assert.equal(actionsOf(status)['first/1/reached']?.message, stopped);
      assert.deepEqual(workflowsOf(status)['first/1'], ['Skipped', stopped]);
      assert.match(stagesOf(status).first?.[1] ?? '', /^workflow first\/0 \(breaks\) failed: action "refused" failed: HTTP 405 /);
      assert.deepEqual(stagesOf(status).then, ['Skipped', 'stopped: stage "first" failed (failurePolicy Stop)']);
      assert.equal(status.phase, 'Failed');
      assert.deepEqual(c.steps(), ['refused']);
    });

    test("stage policy Continue: the stage's next workflow still runs; the stage fails and its dependent stage is Skipped", async () => {
      const c = caseOf(running(), 'stage-continue');
      await c.setUp([
        c.workflow('breaks', [httpGet('refused', c.url(REFUSED, 'refused'))]),
        c.workflow('next', [httpGet('reached', c.url(OK, 'reached'))]),
        c.workflow('later', [httpGet('later', c.url(OK, 'later'))]),
        c.plan('plan', [
          { name: 'first', workflows: ['breaks', 'next'], failurePolicy: 'Continue' },
          { name: 'then', dependsOn: ['first'], workflows: ['later'] },
        ]),
      ]);

      const status = await c.run('run', 'plan');

      assert.deepEqual(phasesOf(actionsOf(status)), { 'first/0/refused': 'Failed', 'first/1/reached': 'Succeeded', 'then/0/later': 'Skipped' });
      assert.equal(stagesOf(status).first?.[0], 'Failed');
      assert.match(stagesOf(status).first?.[1] ?? '', /^workflow first\/0 \(breaks\) failed: action "refused" failed: HTTP 405 /);
      assert.deepEqual(stagesOf(status).then, ['Skipped', 'skipped: depends on stage "first", which Failed']);
      assert.equal(status.phase, 'Failed');
      assert.deepEqual(c.steps(), ['refused', 'reached']);
    });

    test("HTTP timeout: every attempt is cut at the timeout and retried with the first one's Idempotency-Key (its request may still take effect); the action ends Failed naming the timeout", async () => {
      const c = caseOf(running(), 'http-timeout');
      const retryPolicy = { limit: 2, interval: '200ms', backoffMultiplier: '1.0' };
      await onePlan(c, [httpGet('status', c.url(SLOW.status, 'status'), { timeout: '800ms', retryPolicy })]);

      const status = await c.run('run', 'plan');

      const action = actionsOf(status)['only/0/status'];
      assert.equal(action?.phase, 'Failed');
      assert.match(action.message ?? '', new RegExp(`^GET ${TARGET_ORIGIN}/db/status timed out after 800ms \\(after 3 attempts\\)$`));
      assert.equal(action.attempt, 3);
      assert.equal(action.retryCount, 2);
      assert.equal(status.phase, 'Failed');
      const uid = (await c.get('DRPlanExecution', 'run'))?.metadata.uid ?? '';
      const requests = c.requests();
      // The first request got no answer, so every retry repeats it under its key: the target processes it
      // once and answers the repeats 409 (still in progress), which run-action asks again about until
      // each attempt's timeout.
      assert.ok(requests.length >= 3, `at least one request per attempt: ${requests.length}`);
      assert.ok(
        requests.every((r) => r.idempotencyKey === `${uid}/only/0/status/1`),
        requests.map((r) => r.idempotencyKey).join(', '),
      );
      // the first is still being processed (the target takes 15s); every repeat was answered 409
      assert.notEqual(requests[0]?.outcome, 'in-flight');
      assert.deepEqual(
        requests.slice(1).map((r) => r.outcome),
        requests.slice(1).map(() => 'in-flight'),
      );
      const retrying = (await eventsOf(running(), c.namespace, 'run')).filter((event) => event.startsWith('ActionRetrying: '));
      assert.equal(retrying.length, 2, retrying.join('\n'));
      assert.ok(
        retrying.every((event) => /timed out after 800ms; retry [12] of 2 in 200ms$/.test(event)),
        retrying.join('\n'),
      );
    });

    test('Job timeout: a Job that never ends fails its action at the timeout, and the Job is deleted', async () => {
      const c = caseOf(running(), 'job-timeout');
      const pod = {
        metadata: { annotations: { 'local.drplan.dev/outcome': 'hang' } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'restore', image: 'registry.example/restore:1' }] },
      };
      // A Job deadline of its own, so that only drplan's timeout (not the Job controller's deadline) can end it.
      const job = { template: { spec: { activeDeadlineSeconds: 600, template: pod } } };
      await onePlan(c, [{ name: 'restore', type: 'Job', timeout: '2s', retryPolicy: { limit: 0 }, job }]);
      await running().kube.create(c.execution('run', 'plan'));

      // the reference is recorded before the create (the intent) and gets its uid once the Job exists
      const jobName = await c.waitObject(
        'DRPlanExecution',
        'run',
        (execution) => {
          const ref = actionsOf(execution?.status ?? {})['only/0/restore']?.outputs?.jobRef;
          return ref?.uid === undefined ? undefined : ref.name;
        },
        'to record its Job',
      );
      const jobWhileRunning = await c.get('Job', jobName);
      const status = await c.waitFor('run', isFinished, 'to finish');

      assert.equal(jobWhileRunning?.metadata.name, jobName);
      const action = actionsOf(status)['only/0/restore'];
      assert.equal(action?.phase, 'Failed');
      assert.equal(action.message, 'timed out after 2s');
      assert.equal(status.phase, 'Failed');
      await c.waitObject('Job', jobName, (current) => (current === undefined ? true : undefined), 'to be deleted');
      assert.deepEqual(await running().kube.list('batch/v1', 'Job', { namespace: c.namespace }), []);
    });

    test('the lock: of two executions of one plan created at once, one runs and Succeeds, the other Fails naming it; the lock is released', async () => {
      const c = caseOf(running(), 'lock');
      await onePlan(c, [httpGet('traffic', c.url(SLOW.traffic, 'traffic'))]);

      await Promise.all(['run-a', 'run-b'].map((name) => running().kube.create(c.execution(name, 'plan'))));
      const [a, b] = await Promise.all(['run-a', 'run-b'].map((name) => c.waitFor(name, isFinished, 'to finish')));

      assert.deepEqual([a?.phase, b?.phase].sort(), ['Failed', 'Succeeded']);
      const [winner, loser] = a?.phase === 'Succeeded' ? (['run-a', b] as const) : (['run-b', a] as const);
      assert.equal(loser?.message, `plan "plan" is already running execution "${winner}"`);
      assert.equal(loser.stageStatuses, undefined);
      assert.deepEqual(c.steps(), ['traffic']);
      const plan = await planAfter(c, winner);
      const history = (plan.executionHistory as Json[]).map((record) => [record.name, record.phase]).sort();
      assert.deepEqual(history, [
        ['run-a', a?.phase],
        ['run-b', b?.phase],
      ]);
      assert.equal(plan.phase, 'Executed');
    });

    test('a workflow a plan uses is held on delete (InUse) until the plan stops using it; a plan naming a missing workflow is Invalid until it appears', async () => {
      const c = caseOf(running(), 'held-edit');
      await onePlan(c, [httpGet('check', c.url(OK, 'check'))]);
      await c.waitObject(
        'DRWorkflow',
        'steps',
        (wf) => ((wf?.metadata.finalizers ?? []).includes(PROTECTION) ? true : undefined),
        'to get the protection finalizer',
      );

      await running().kube.remove(c.key('DRWorkflow', 'steps'));
      const held = await c.waitObject('DRWorkflow', 'steps', (wf) => (readyCondition(wf)?.reason === 'InUse' ? wf : undefined), 'to be held InUse');

      assert.ok(held.metadata.deletionTimestamp !== undefined);
      assert.equal(readyCondition(held)?.status, 'False');
      assert.equal(readyCondition(held)?.message, `held by DRPlan ${c.namespace}/plan: deletion waits until no DRPlan references this workflow`);
      assert.deepEqual((held.status as Json).referencedBy, [{ name: 'plan', namespace: c.namespace }]);
      assert.ok(isReady(await c.get('DRPlan', 'plan')), 'the plan stays Ready while its workflow is held');

      await running().kube.mergePatch(c.key('DRPlan', 'plan'), { spec: { stages: [{ name: 'only', workflows: [{ workflowRef: { name: 'missing' } }] }] } });
      const invalid = await c.waitObject(
        'DRPlan',
        'plan',
        (plan) => (readyCondition(plan)?.reason === 'Invalid' && (plan?.status as Json).observedGeneration === plan?.metadata.generation ? plan : undefined),
        'to be Invalid',
      );
      await c.waitObject('DRWorkflow', 'steps', (wf) => (wf === undefined ? true : undefined), 'to be gone once no plan uses it');

      assert.equal((invalid.status as Json).phase, 'Invalid');
      assert.match(
        readyCondition(invalid)?.message ?? '',
        new RegExp(`spec\\.stages\\[0\\]\\.workflows\\[0\\]\\.workflowRef: DRWorkflow ${c.namespace}/missing not found`),
      );

      await running().kube.create(c.workflow('missing', [httpGet('check', c.url(OK, 'check'))]));
      await c.waitObject('DRPlan', 'plan', (plan) => (isReady(plan) ? true : undefined), 'to be Ready again once the workflow appears');
      await c.waitObject(
        'DRWorkflow',
        'missing',
        (wf) => ((wf?.metadata.finalizers ?? []).includes(PROTECTION) ? true : undefined),
        'to get the protection finalizer',
      );
    });

    test('a workflow held on delete goes once the plan that uses it is deleted', async () => {
      const c = caseOf(running(), 'held-delete');
      await onePlan(c, [httpGet('check', c.url(OK, 'check'))]);
      await c.waitObject(
        'DRWorkflow',
        'steps',
        (wf) => ((wf?.metadata.finalizers ?? []).includes(PROTECTION) ? true : undefined),
        'to get the protection finalizer',
      );
      await running().kube.remove(c.key('DRWorkflow', 'steps'));
      await c.waitObject('DRWorkflow', 'steps', (wf) => (readyCondition(wf)?.reason === 'InUse' ? true : undefined), 'to be held InUse');

      await running().kube.remove(c.key('DRPlan', 'plan'));

      await c.waitObject('DRWorkflow', 'steps', (wf) => (wf === undefined ? true : undefined), 'to be gone once its plan is deleted');
      assert.equal(await c.get('DRPlan', 'plan'), undefined);
    });

    test('revert of a Failed execution: what succeeded and the action that failed after its request was sent are rolled back, newest first', async () => {
      const c = caseOf(running(), 'revert');
      const step = (name: string, path: string): Json => httpGet(name, c.url(path, name), { rollback: rollbackGet(c.url(OK, `undo-${name}`)) });
      await onePlan(c, [step('one', OK), step('two', OK), step('three', REFUSED), step('four', OK)]);
      const executed = await c.run('run', 'plan');
      assert.equal(executed.phase, 'Failed', executed.message);
      assert.deepEqual(phasesOf(actionsOf(executed)), {
        'only/0/one': 'Succeeded',
        'only/0/two': 'Succeeded',
        'only/0/three': 'Failed',
        'only/0/four': 'Skipped',
      });
      await planAfter(c, 'run');

      await running().kube.create(c.revert('undo', 'plan', 'run'));
      const reverted = await c.waitFor('undo', isFinished, 'to finish');

      assert.equal(reverted.phase, 'Succeeded', reverted.message);
      const steps = Object.values(actionsOf(reverted)).map((action) => [action.rollbackOf, action.phase]);
      assert.deepEqual(steps, [
        ['only/0/three', 'Succeeded'],
        ['only/0/two', 'Succeeded'],
        ['only/0/one', 'Succeeded'],
      ]);
      assert.deepEqual(c.steps(), ['one', 'two', 'three', 'undo-three', 'undo-two', 'undo-one']);
      assert.equal((await planAfter(c, 'undo')).phase, 'Ready');
    });

    test('cancel while a POST is in flight: Cancelled, the request aborted and recorded as possibly applied, nothing sent after; a revert runs its rollback', async () => {
      const c = caseOf(running(), 'cancel-execution');
      const post = { ...httpGet('switch', c.url(SLOW.switch, 'switch')), timeout: '5m' };
      await onePlan(c, [
        { ...post, http: { url: c.url(SLOW.switch, 'switch'), method: 'POST', body: '{"to":"secondary"}' }, rollback: rollbackGet(c.url(OK, 'undo-switch')) },
        httpGet('after', c.url(OK, 'after')),
      ]);
      await running().kube.create(c.execution('run', 'plan'));
      await whileInFlight(c, 'switch');

      await running().kube.mergePatch(c.key('DRPlanExecution', 'run'), { metadata: { annotations: { [CANCEL]: 'true' } } });
      const status = await c.waitFor('run', isFinished, 'to finish');
      assert.equal(status.phase, 'Cancelled');
      // cancel records the stop, or run-action's abort (seen first on a busy machine) is recorded with the cancel
      assert.match(status.message ?? '', /^cancelled(; stopped 1 running action)?$/);
      // run-action aborts the request (the target's 20s answer never comes) and records what became of it
      const recorded = await c.waitFor(
        'run',
        (s) => actionsOf(s)['only/0/switch']?.message?.startsWith('cancelled while running; then: ') === true,
        'to record the aborted request',
      );
      const switched = actionsOf(recorded)['only/0/switch'];
      assert.equal(switched?.phase, 'Failed');
      assert.match(switched.message ?? '', /was aborted in flight, before an answer \(the execution was cancelled\): it may have had its effect$/);
      assert.equal(actionsOf(recorded)['only/0/after']?.phase, 'Skipped');
      assert.deepEqual(c.steps(), ['switch']);
      await planAfter(c, 'run');

      await running().kube.create(c.revert('undo', 'plan', 'run'));
      const reverted = await c.waitFor('undo', isFinished, 'to finish');
      assert.equal(reverted.phase, 'Succeeded', reverted.message);
      assert.deepEqual(
        Object.values(actionsOf(reverted)).map((action) => [action.rollbackOf, action.phase]),
        [['only/0/switch', 'Succeeded']],
      );
      assert.deepEqual(c.steps(), ['switch', 'undo-switch']);
    });

    test('pause while an action runs: it finishes, the next does not start; resume: it starts at once and the execution Succeeds', async () => {
      const c = caseOf(running(), 'pause');
      await onePlan(c, [httpGet('first', c.url(SLOW.traffic, 'first')), httpGet('second', c.url(OK, 'second'))]);
      await running().kube.create(c.execution('run', 'plan'));
      await whileInFlight(c, 'first');

      await running().kube.mergePatch(c.key('DRPlanExecution', 'run'), { metadata: { annotations: { [PAUSE]: 'true' } } });
      const held = await c.waitFor('run', (s) => actionsOf(s)['only/0/first']?.phase === 'Succeeded', 'the running action to finish');
      assert.equal(held.conditions?.find((condition) => condition.type === 'Paused')?.status, 'True');
      await ticksPassed(running(), 2);
      const stillHeld = await c.status('run');
      assert.equal(actionsOf(stillHeld ?? {})['only/0/second']?.phase, 'Pending');
      assert.deepEqual(c.steps(), ['first']);

      await running().kube.mergePatch(c.key('DRPlanExecution', 'run'), { metadata: { annotations: { [PAUSE]: null } } });
      const status = await c.waitFor('run', isFinished, 'to finish');
      assert.equal(status.phase, 'Succeeded', status.message);
      assert.deepEqual(c.steps(), ['first', 'second']);
      assert.equal(status.conditions?.find((condition) => condition.type === 'Paused')?.status, 'False');
      const events = await eventsOf(running(), c.namespace, 'run');
      assert.ok(
        events.some((event) => event.startsWith('ExecutionPaused: ')) && events.some((event) => event.startsWith('ExecutionResumed: ')),
        events.join('\n'),
      );
    });

    test('cancel through the plan (trigger=cancel): its running execution is Cancelled, the annotation removed, the lock released', async () => {
      const c = caseOf(running(), 'cancel-plan');
      await onePlan(c, [httpGet('wait', c.url(SLOW.serving, 'wait')), httpGet('after', c.url(OK, 'after'))]);
      await running().kube.create(c.execution('run', 'plan'));
      await whileInFlight(c, 'wait');

      await running().kube.mergePatch(c.key('DRPlan', 'plan'), { metadata: { annotations: { [TRIGGER]: 'cancel' } } });
      const status = await c.waitFor('run', isFinished, 'to finish');
      const plan = await planAfter(c, 'run');
      await c.waitObject(
        'DRPlan',
        'plan',
        (p) => (p !== undefined && p.metadata.annotations?.[TRIGGER] === undefined ? true : undefined),
        'to lose its trigger annotation',
      );
      await settled(running(), c);

      assert.equal(status.phase, 'Cancelled');
      assert.deepEqual(phasesOf(actionsOf(status)), { 'only/0/wait': 'Failed', 'only/0/after': 'Skipped' });
      assert.equal((await c.get('DRPlanExecution', 'run'))?.metadata.annotations?.[CANCEL], 'true');
      assert.deepEqual(
        (plan.executionHistory as Json[]).map((record) => [record.name, record.phase]),
        [['run', 'Cancelled']],
      );
      assert.deepEqual(c.steps(), ['wait']);
    });
  });

  describe(
    'retry (alone: it arms a failure at the demo target that another case would meet)',
    { skip: localStackOnly('arms a behaviour at the local demo target') },
    () => {
      test('drplan retry re-runs only what had not succeeded (the target sees each effect once) and its revert undoes all of it', async () => {
        const c = caseOf(running(), 'retry');
        const step = (name: string, path: string): Json => httpGet(name, c.url(path, name), { rollback: rollbackGet(c.url(OK, `undo-${name}`)) });
        // the only GET the start behaviours leave alone is OK: the failure is armed there, for `two`
        await onePlan(c, [step('one', SLOW.traffic), step('two', OK), step('three', SLOW.traffic)]);
        running().target.inject({ method: 'GET', path: OK, failTimes: 1, status: 500 });
        const failed = await c.run('run', 'plan');
        assert.equal(failed.phase, 'Failed', failed.message);
        await planAfter(c, 'run');

        const retry = await runCli(['retry', 'run', '--name', 'again', '-n', c.namespace, '--kubeconfig', running().kubeconfigPath, '--wait']);
        assert.equal(retry.code, 0, `${retry.stdout}${retry.stderr}`);
        const retried = await c.waitFor('again', isFinished, 'to finish');
        assert.equal(retried.phase, 'Succeeded', retried.message);
        assert.equal(actionsOf(retried)['only/0/one']?.message, 'succeeded in run; not run again');
        assert.deepEqual(c.steps(), ['one', 'two', 'two', 'three']);
        await planAfter(c, 'again');

        await running().kube.create(c.revert('undo', 'plan', 'again'));
        const reverted = await c.waitFor('undo', isFinished, 'to finish');
        assert.equal(reverted.phase, 'Succeeded', reverted.message);
        assert.deepEqual(c.steps().slice(4), ['undo-three', 'undo-two', 'undo-one']);
      });
    },
  );

  describe(
    'Unknown and recovery (run-action killed while an attempt is in flight; alone, since the kill stops every attempt)',
    { skip: localStackOnly('kills run-action, and needs UNKNOWN_AFTER=4s in the functions') },
    () => {
      test('the restarted run-action resumes at once, with the same identity, the attempt its killed boot held, and it Succeeds', async () => {
        const current = running();
        const c = caseOf(current, 'unknown');
        current.target.inject({ method: 'POST', path: '/primary/maintenance', delayMs: 1500 });
        const enter = httpGet('enter', c.url('/primary/maintenance', 'enter'), {
          timeout: '60s',
          http: { url: c.url('/primary/maintenance', 'enter'), method: 'POST', body: '{"enabled":true}' },
        });
        await onePlan(c, [enter, httpGet('after', c.url(OK, 'after'))]);
        const recorder = recordStatuses(current, c.namespace, 'run');
        await current.kube.create(c.execution('run', 'plan'));
        await whileInFlight(c, 'enter');

        const killed = current.stack.host.replicas(FUNCTIONS_NAMESPACE, 'run-action').flatMap((replica) => (replica.pid === undefined ? [] : [replica.pid]));
        for (const pid of killed) process.kill(pid, 'SIGKILL');
        const status = await c.waitFor('run', isFinished, 'to finish');
        await poll(() => (recorder.statuses().some(isFinished) ? true : undefined), 'the watch to see the execution finish', 10_000);
        recorder.stop();

        assert.ok(killed.length > 0, 'no run-action process to kill');
        const replicas = current.stack.host.replicas(FUNCTIONS_NAMESPACE, 'run-action');
        assert.ok(
          replicas.every((replica) => replica.restarts >= 1 && replica.pid !== undefined && !killed.includes(replica.pid)),
          JSON.stringify(replicas),
        );
        assert.equal(status.phase, 'Succeeded', status.message);
        assert.equal(status.message, 'the stage succeeded (2 actions)');
        assert.deepEqual(phasesOf(actionsOf(status)), { 'only/0/enter': 'Succeeded', 'only/0/after': 'Succeeded' });
        const seen = recorder.statuses();
        const enterPhases = transitions(seen.map((s) => actionsOf(s)['only/0/enter']?.phase).filter((phase) => phase !== undefined));
        assert.deepEqual(enterPhases, ['Pending', 'Running', 'Unknown', 'Running', 'Succeeded']);
        // resumed by the restarted process, not after UNKNOWN_AFTER of silence: the execution never turned Unknown
        assert.deepEqual(
          transitions(seen.map((s) => s.phase)).filter((phase) => phase === 'Unknown' || phase === 'Succeeded'),
          ['Succeeded'],
        );
        const lost = seen.find((s) => actionsOf(s)['only/0/enter']?.phase === 'Unknown');
        assert.ok(lost, 'the watch saw the attempt Unknown');
        assert.equal(actionsOf(lost)['only/0/enter']?.message, 'run-action run-action-1 restarted while attempt 1 ran; resumed with the same identity');
        assert.ok((await eventsOf(current, c.namespace, 'run')).includes('ActionStarted: Action only/0/enter: attempt 1 resumed after contact was lost'));
        const uid = (await c.get('DRPlanExecution', 'run'))?.metadata.uid ?? '';
        const sent = c.requests().filter((r) => queryParam(r, 'step') === 'enter');
        // one identity throughout: handled once; asked again while the first was still in progress at the
        // target (409, asked again after a pause) until the target replays the first answer
        assert.ok(
          sent.every((r) => r.idempotencyKey === `${uid}/only/0/enter/1`),
          JSON.stringify(sent),
        );
        const outcomes = sent.map((r) => r.outcome);
        assert.equal(outcomes[0], 'handled');
        assert.equal(outcomes.at(-1), 'replayed');
        assert.ok(
          outcomes.slice(1, -1).every((outcome) => outcome === 'in-flight'),
          outcomes.join(),
        );
        assert.equal(current.target.state().maintenance.primary, true);
        assert.deepEqual(
          c.steps().filter((step) => step !== 'enter'),
          ['after'],
        );
        assert.equal(c.steps().at(-1), 'after');
      });
    },
  );
});
