/**
 * Scenarios that take run-action through every API call it makes: each action type and operation,
 * a Job's completion event, a Job left by an earlier try of the same attempt, and the automatic
 * rollbacks a Revert requests (delete a Job, restore a Localization from its recorded prior state).
 * The KubernetesResource scenarios change a ConfigMap: a target granted through the aggregated role.
 */
import { stringify } from 'yaml';
import { createRunAction } from '../../functions/run-action/run-action.js';
import { resumeEarlierBoots } from '../../functions/run-action/takeover.js';
import type { Action, ActionOutputs, ResolvedPlan } from '../../shared/api/index.js';
import { ActionSchema, Annotations } from '../../shared/api/index.js';
import { claimAttempt, recordAttempt } from '../../shared/engine/attempt.js';
import { planRollback } from '../../shared/engine/rollback.js';
import { initialRevertStatus, revertPlan } from '../../shared/engine/revert-plan.js';
import { schedule } from '../../shared/engine/scheduler.js';
import type { Outcome } from '../../shared/function-deps.js';
import type { Kube, KubeObject } from '../../shared/kube/types.js';
import { ownershipLabels } from '../../shared/job-labels.js';
import { CLUSTERNET_GROUP } from './rbac.js';
import { FakeKube } from '../support/fake-kube.js';
import type { World } from '../support/run-action-helpers.js';
import {
  editAction,
  EXEC,
  executionObject,
  NS,
  pathOf,
  planOf,
  recordingFetch,
  requested,
  startedStatus,
  T0,
  UID,
  world,
  worldOf,
} from '../support/run-action-helpers.js';
import type { Scenario } from './kube-usage.js';

const CLUSTERNET = `${CLUSTERNET_GROUP}/v1alpha1`;
const LOCALIZATION = { apiVersion: CLUSTERNET, kind: 'Localization', name: 'nginx-a', namespace: 'clusternet-a' };
const SUBSCRIPTION = { apiVersion: CLUSTERNET, kind: 'Subscription', name: 'nginx', namespace: NS };
const JOB = { apiVersion: 'batch/v1', kind: 'Job', name: 'restore-1', namespace: NS };
const CONFIG_MAP = { apiVersion: 'v1', kind: 'ConfigMap', name: 'routing', namespace: NS };

type Operation = 'Create' | 'Apply' | 'Patch' | 'Delete';
type ClusternetOperation = Exclude<Operation, 'Apply'>;

const localizationSpec = { priority: 500, overridePolicy: 'ApplyNow', feed: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'nginx', namespace: NS } };
const subscriptionSpec = {
  subscribers: [{ clusterAffinity: { matchLabels: { region: 'b' } } }],
  feeds: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'nginx', namespace: NS }],
};

/** Actions as a workflow would hold them, parsed (and defaulted) by the API schema. */
const localization = (operation: ClusternetOperation): Action =>
  ActionSchema.parse({
    name: 'localize',
    type: 'Localization',
    timeout: '1m',
    localization: { name: LOCALIZATION.name, namespace: LOCALIZATION.namespace, operation, spec: localizationSpec },
  });
const subscription = (operation: ClusternetOperation): Action =>
  ActionSchema.parse({
    name: 'subscribe',
    type: 'Subscription',
    timeout: '1m',
    subscription: { name: SUBSCRIPTION.name, namespace: NS, operation, spec: subscriptionSpec },
  });
const resource = (operation: Operation): Action =>
  ActionSchema.parse({
    name: 'switch',
    type: 'KubernetesResource',
    timeout: '1m',
    resource: { operation, manifest: stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: CONFIG_MAP.name }, data: { active: 'b' } }) },
  });
const job = (): Action =>
  ActionSchema.parse({
    name: 'restore',
    type: 'Job',
    timeout: '10m',
    job: { template: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } } } } },
  });

const stored = (key: typeof LOCALIZATION, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: key.apiVersion,
  kind: key.kind,
  metadata: { name: key.name, namespace: key.namespace },
  ...extra,
});

/** run-action asked for the first action of a one-action workflow, its Kube recorded; `seed` exists beforehand. */
async function runOne(action: Action, record: (inner: Kube) => Kube, seed: readonly KubeObject[] = []): Promise<Outcome[]> {
  const kube = new FakeKube();
  for (const object of seed) kube.seed(object);
  const { fetch } = recordingFetch();
  const w = worldOf([action], { kube, fetch });
  const core = createRunAction({ ...w.deps, kube: record(w.kube) });
  return [await core.onActionRequested(requested(pathOf(action.name)))];
}

/** The rollback a Revert requests for `forward`, which succeeded with `outputs`, run by run-action. */
async function runRollback(forward: Action, outputs: ActionOutputs, record: (inner: Kube) => Kube, seed: readonly KubeObject[]): Promise<Outcome[]> {
  const resolved = planOf([forward]);
  const path = pathOf(forward.name);
  const claimed = claimAttempt(startedStatus(resolved), path, 1, T0).status;
  const done = recordAttempt(claimed, { path, attempt: 1, result: { ok: true, outputs }, now: T0 }).status;
  const plan = revertPlan(planRollback({ target: { resolved, status: done } }), { name: 'earlier', namespace: NS }, resolved);
  const revert = schedule({ resolved: plan, status: initialRevertStatus(plan, T0), now: T0 });
  const [request] = revert.requests;
  if (request === undefined) throw new Error(`no rollback requested for ${forward.name}`);
  const kube = new FakeKube();
  for (const object of seed) kube.seed(object);
  const w = world(executionObject(revert.status, {}, 'Revert'), { kube });
  const core = createRunAction({ ...w.deps, kube: record(w.kube) });
  return [await core.onActionRequested(requested(request.path, 1, 'Revert'))];
}

/** Two Job actions that succeeded, reverted: the first rollback runs, then its request is delivered again. */
async function rollbackRedelivered(record: (inner: Kube) => Kube): Promise<Outcome[]> {
  const jobs = ['first', 'second'].map((name) => ({ ...job(), name }));
  const resolved = planOf(jobs);
  let done = startedStatus(resolved);
  for (const forward of jobs) {
    const path = pathOf(forward.name);
    const claimed = claimAttempt(schedule({ resolved, status: done, now: T0 }).status, path, 1, T0).status;
    done = recordAttempt(claimed, {
      path,
      attempt: 1,
      result: { ok: true, outputs: { jobRef: { ...JOB, name: forward.name, uid: `uid-${forward.name}` }, created: true } },
      now: T0,
    }).status;
  }
  const plan = revertPlan(planRollback({ target: { resolved, status: done } }), { name: 'earlier', namespace: NS }, resolved);
  const revert = schedule({ resolved: plan, status: initialRevertStatus(plan, T0), now: T0 });
  const [request] = revert.requests;
  if (request === undefined) throw new Error('no rollback requested');
  const w = world(executionObject(revert.status, {}, 'Revert'));
  const first = await createRunAction(w.deps).onActionRequested(requested(request.path, 1, 'Revert'));
  return [first, await createRunAction({ ...w.deps, kube: record(w.kube) }).onActionRequested(requested(request.path, 1, 'Revert'))];
}

/** The first of two HTTP actions runs; its request is then delivered again (its reply was lost). */
async function requestRedelivered(record: (inner: Kube) => Kube): Promise<Outcome[]> {
  const call = (name: string): Action => ActionSchema.parse({ name, type: 'HTTP', timeout: '1m', http: { url: `http://127.0.0.1:9/${name}` } });
  const { fetch } = recordingFetch();
  const w = worldOf([call('first'), call('second')], { fetch });
  const first = await createRunAction(w.deps).onActionRequested(requested(pathOf('first')));
  return [first, await createRunAction({ ...w.deps, kube: record(w.kube) }).onActionRequested(requested(pathOf('first')))];
}

/**
 * Two parallel workflows of one action each, in a plan that exists: the Job of one runs past its
 * timeout while the other's HTTP action runs; the step after the HTTP result fails the Job's attempt,
 * deletes its Job and finishes the execution, recording it in the plan.
 */
async function stepStopsAJob(record: (inner: Kube) => Kube): Promise<Outcome[]> {
  const call = ActionSchema.parse({ name: 'call', type: 'HTTP', timeout: '10m', http: { url: 'http://127.0.0.1:9/x' } });
  const restore = ActionSchema.parse({ ...job(), timeout: '1m', retryPolicy: { limit: 0 } });
  const workflow = (name: string, action: Action): NonNullable<ResolvedPlan['stages']>[number]['workflows'][number] => ({
    workflowRef: { name, namespace: NS },
    failurePolicy: 'FailFast',
    actions: [action],
  });
  const resolved: ResolvedPlan = {
    failurePolicy: 'Stop',
    stages: [{ name: 's', parallel: true, failurePolicy: 'Stop', workflows: [workflow('a', call), workflow('b', restore)] }],
  };
  const started = claimAttempt(startedStatus(resolved), pathOf('restore', 's', 1), 1, T0).status;
  const kube = new FakeKube();
  kube.seed({
    apiVersion: 'dr.bkbcs.tencent.com/v1alpha1',
    kind: 'DRPlan',
    metadata: { name: 'plan', namespace: NS },
    spec: { stages: [] },
    status: { phase: 'Ready', currentExecution: EXEC },
  });
  kube.seed(
    stored(JOB, {
      metadata: {
        name: JOB.name,
        namespace: NS,
        labels: ownershipLabels({ execution: { name: EXEC, namespace: NS, uid: UID }, path: pathOf('restore', 's', 1), attempt: 1 }),
      },
    }),
  );
  const { fetch } = recordingFetch();
  const w = world(executionObject(started), { kube, fetch });
  w.clock.advance(2 * 60_000);
  return [await createRunAction({ ...w.deps, kube: record(w.kube) }).onActionRequested(requested(pathOf('call', 's', 0)))];
}

/** The Job of attempt 1 is created, then completes; its completion event is handled. */
async function jobToCompletion(w: World, record: (inner: Kube) => Kube): Promise<Outcome[]> {
  const core = createRunAction({ ...w.deps, kube: record(w.kube) });
  const started = await core.onActionRequested(requested(pathOf('restore')));
  const [created] = await w.kube.list('batch/v1', 'Job', { namespace: NS });
  if (created?.metadata.name === undefined) throw new Error('no Job was created');
  const finished = await w.kube.mergePatchStatus({ ...JOB, name: created.metadata.name }, { status: { conditions: [{ type: 'Complete', status: 'True' }] } });
  return [started, await core.onJob(finished)];
}

const clusternetScenarios = (
  kind: 'Localization' | 'Subscription',
  action: (operation: ClusternetOperation) => Action,
  key: typeof LOCALIZATION,
  spec: object,
): Scenario[] => [
  { name: `a ${kind} Create creates it`, run: (record) => runOne(action('Create'), record) },
  { name: `a ${kind} Patch reads and merges it`, run: (record) => runOne(action('Patch'), record, [stored(key, { spec })]) },
  { name: `a ${kind} Delete reads and deletes it`, run: (record) => runOne(action('Delete'), record, [stored(key, { spec })]) },
];

/** Two workflows at once; the execution is paused while the first runs and resumed while the second does. */
async function pausedWhileRunning(record: (inner: Kube) => Kube): Promise<Outcome[]> {
  const call = (name: string): Action => ActionSchema.parse({ name, type: 'HTTP', timeout: '1m', http: { url: `http://127.0.0.1:9/${name}` } });
  const resolved: ResolvedPlan = {
    failurePolicy: 'Stop',
    stages: [
      {
        name: 's',
        parallel: true,
        failurePolicy: 'Continue',
        workflows: ['a', 'b'].map((name) => ({
          workflowRef: { name: `wf-${name}`, namespace: NS },
          failurePolicy: 'FailFast' as const,
          actions: [call(name)],
        })),
      },
    ],
  };
  const key = { apiVersion: 'dr.bkbcs.tencent.com/v1alpha1', kind: 'DRPlanExecution', name: EXEC, namespace: NS };
  const kube = new FakeKube();
  // the pause is asked for while `a` runs (after its claim)
  const fetch: typeof globalThis.fetch = async (input) => {
    if ((input instanceof URL ? input.href : typeof input === 'string' ? input : input.url).endsWith('/a'))
      await kube.mergePatch(key, { metadata: { annotations: { [Annotations.pause]: 'true' } } });
    return new Response('ok', { status: 200 });
  };
  const w = world(executionObject(startedStatus(resolved)), { fetch, kube });
  const core = createRunAction({ ...w.deps, kube: record(w.kube) });
  const first = await core.onActionRequested(requested('s/0/a'));
  await w.kube.mergePatch(key, { metadata: { annotations: { [Annotations.pause]: null } } });
  return [first, await core.onActionRequested(requested('s/1/b'))];
}

export const runActionScenarios: readonly Scenario[] = [
  { name: 'a result recorded while the execution is paused, and one after it is resumed', run: pausedWhileRunning },
  {
    name: 'an HTTP action is claimed, called and recorded',
    run: (record) => runOne(ActionSchema.parse({ name: 'call', type: 'HTTP', timeout: '1m', http: { url: 'http://127.0.0.1:9/x' } }), record),
  },
  { name: 'a Job action creates its Job, which completes', run: (record) => jobToCompletion(worldOf([job()]), record) },
  { name: 'a request delivered again after its attempt ended reports the result again (the first reply may be lost)', run: requestRedelivered },
  { name: 'a rollback request delivered again after it ended reports the result again', run: rollbackRedelivered },
  { name: 'the step after a result stops another attempt past its timeout and finishes the execution in its plan', run: stepStopsAJob },
  {
    name: 'a Job action requested again takes the Job its earlier try created as its own',
    async run(record) {
      const w = worldOf([job()]);
      const first = await createRunAction(w.deps).onActionRequested(requested(pathOf('restore')));
      // contact lost after the create, before its uid was recorded: only the intent (no uid) is there
      await editAction(w, pathOf('restore'), (action) => {
        Object.assign(action, { phase: 'Unknown', requestedAt: w.clock.now().toISOString() });
        if (action.outputs?.jobRef !== undefined) delete action.outputs.jobRef.uid;
      });
      return [first, await createRunAction({ ...w.deps, kube: record(w.kube) }).onActionRequested(requested(pathOf('restore')))];
    },
  },
  {
    name: 'a restarted run-action resumes the attempt an earlier boot of its pod held',
    async run(record) {
      const { fetch } = recordingFetch();
      const w = worldOf([ActionSchema.parse({ name: 'call', type: 'HTTP', timeout: '1m', http: { url: 'http://127.0.0.1:9/x' } })], { fetch });
      await editAction(w, pathOf('call'), (action) => {
        Object.assign(action, { phase: 'Running', attempt: 1, startTime: T0.toISOString(), holder: 'run-action-1/before' });
        delete action.requestedAt;
      });
      const emitted: Outcome[] = [];
      const deps = { ...w.deps, kube: record(w.kube), emit: (outcome: Outcome) => Promise.resolve(void emitted.push(outcome)) };
      await resumeEarlierBoots(deps, { instance: 'run-action-1', boot: 'after' });
      return emitted;
    },
  },
  ...clusternetScenarios('Localization', localization, LOCALIZATION, localizationSpec),
  ...clusternetScenarios('Subscription', subscription, SUBSCRIPTION, subscriptionSpec),
  {
    name: 'the automatic rollback of a Job action deletes the Job',
    run: (record) =>
      runRollback(job(), { jobRef: { ...JOB, uid: 'uid-restore-1' }, created: true }, record, [
        { ...stored(JOB), metadata: { name: JOB.name, namespace: JOB.namespace, uid: 'uid-restore-1' } },
      ]),
  },
  {
    name: 'the automatic rollback of a Localization Patch applies its recorded prior state',
    run: (record) => {
      const before = stored(LOCALIZATION, { spec: localizationSpec });
      return runRollback(localization('Patch'), { localizationRef: LOCALIZATION, created: false, priorState: JSON.stringify(before) }, record, [
        stored(LOCALIZATION, { spec: { ...localizationSpec, priority: 800 } }),
      ]);
    },
  },
  ...(['Create', 'Apply', 'Patch', 'Delete'] as const).map((operation): Scenario => ({
    name: `a KubernetesResource ${operation} changes the object it names`,
    run: (record) => runOne(resource(operation), record, operation === 'Create' ? [] : [stored(CONFIG_MAP, { data: { active: 'a' } })]),
  })),
];
