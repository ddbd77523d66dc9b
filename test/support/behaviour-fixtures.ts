/**
 * Fixtures for the behaviour tests (test/e2e/behaviours.test.ts). Each case gets its own namespace and
 * a tag (`?t=<tag>&step=<action>`) on every URL it points at the demo target, so cases running at once
 * on one stack share no object and each finds its own requests among those the target recorded. The
 * builders write small DRWorkflows, DRPlans and DRPlanExecutions inline; the waits read the objects
 * back through the API server (the local one, or the cluster's in cluster mode), as `kubectl` would.
 * On a cluster each namespace gets this run's id appended and is deleted when the environment stops.
 */
import { KubeConfig, Watch } from '@kubernetes/client-node';
import type { ActionStatus, DRPlanExecutionStatus } from '../../shared/api/index.js';
import type { KubeObject, ObjectKey } from '../../shared/kube/types.js';
import type { RecordedRequest } from '../../local/demo-target/index.js';
import { allowing, namespaceFor } from './e2e-cluster.js';
import { DR_API, isFinished, poll, type E2eEnv } from './e2e-helpers.js';

export type Json = Record<string, unknown>;

/** Long enough for a loaded two-core machine (a case normally needs a few seconds), and on a cluster for its resync ticks. */
export const WAIT_MS = allowing(60_000);

export interface StageInput {
  name: string;
  workflows: readonly string[];
  dependsOn?: readonly string[];
  failurePolicy?: 'Stop' | 'Continue' | 'FailFast';
}

/** An HTTP GET action: 10 s timeout and no retry unless `extra` says otherwise. */
export function httpGet(name: string, url: string, extra: Json = {}): Json {
  return { name, type: 'HTTP', timeout: '10s', retryPolicy: { limit: 0 }, http: { url, method: 'GET' }, ...extra };
}

/** A custom rollback that calls `url` (GET). */
export const rollbackGet = (url: string): Json => ({ type: 'HTTP', timeout: '10s', retryPolicy: { limit: 0 }, http: { url, method: 'GET' } });

/** Each action's status, keyed `stage/workflow index/action`. */
export function actionsOf(status: DRPlanExecutionStatus): Record<string, ActionStatus> {
  const entries = (status.stageStatuses ?? []).flatMap((stage) =>
    (stage.workflowExecutions ?? []).flatMap((workflow, index) =>
      (workflow.actionStatuses ?? []).map((action) => [`${stage.name}/${index}/${action.name}`, action] as const),
    ),
  );
  return Object.fromEntries(entries);
}

export const phasesOf = (actions: Readonly<Record<string, ActionStatus>>): Record<string, string> =>
  Object.fromEntries(Object.entries(actions).map(([path, action]) => [path, action.phase]));

/** The value of one query parameter of a recorded request. */
export const queryParam = (request: RecordedRequest, name: string): string | null => new URLSearchParams(request.query).get(name);

/** `[phase, message]` of each stage, by name. */
export const stagesOf = (status: DRPlanExecutionStatus): Record<string, [string, string | undefined]> =>
  Object.fromEntries((status.stageStatuses ?? []).map((stage) => [stage.name, [stage.phase, stage.message]]));

/** `[phase, message]` of each workflow, keyed `stage/workflow index`. */
export const workflowsOf = (status: DRPlanExecutionStatus): Record<string, [string, string | undefined]> =>
  Object.fromEntries(
    (status.stageStatuses ?? []).flatMap((stage) =>
      (stage.workflowExecutions ?? []).map((workflow, index) => [`${stage.name}/${index}`, [workflow.phase, workflow.message]] as const),
    ),
  );

/** One case: its namespace, its tagged URLs, its objects and the waits on them. */
export interface BehaviourCase {
  namespace: string;
  /** `<target><path>?t=<tag>&step=<step>` */
  url(path: string, step: string): string;
  /** The requests of this case the target recorded, in order of arrival. */
  requests(): RecordedRequest[];
  /** The `step` of each request of this case, in order of arrival. */
  steps(): string[];
  workflow(name: string, actions: readonly Json[], spec?: Json): KubeObject;
  plan(name: string, stages: readonly StageInput[]): KubeObject;
  execution(name: string, plan: string): KubeObject;
  revert(name: string, plan: string, target: string): KubeObject;
  /** Creates the namespace and `objects`, then waits until every DRWorkflow and DRPlan among them is Ready. */
  setUp(objects: readonly KubeObject[]): Promise<void>;
  key(kind: string, name: string): ObjectKey;
  get(kind: string, name: string): Promise<KubeObject | undefined>;
  status(name: string): Promise<DRPlanExecutionStatus | undefined>;
  /** Waits until the execution's status satisfies `done`; throws with the last status seen. */
  waitFor(name: string, done: (status: DRPlanExecutionStatus) => boolean, what: string): Promise<DRPlanExecutionStatus>;
  /** Creates the Execute execution `name` of `plan` and waits until it finishes. */
  run(name: string, plan: string): Promise<DRPlanExecutionStatus>;
  /** Waits until `read` of the object `kind/name` returns a value. */
  waitObject<T>(kind: string, name: string, read: (object: KubeObject | undefined) => T | undefined, what: string): Promise<T>;
}

const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Ready and validated at its current generation. */
export function isReady(object: KubeObject | undefined): boolean {
  const status = isRecord(object?.status) ? object.status : {};
  return status.observedGeneration === object?.metadata.generation && status.phase === 'Ready';
}

/** The `Ready` condition of a workflow or plan. */
export function readyCondition(object: KubeObject | undefined): { status?: string; reason?: string; message?: string } | undefined {
  const conditions = ((object?.status ?? {}) as { conditions?: { type: string; status?: string; reason?: string; message?: string }[] }).conditions ?? [];
  return conditions.find((condition) => condition.type === 'Ready');
}

function describeStatus(status: DRPlanExecutionStatus | undefined): string {
  if (status === undefined) return 'no status';
  const actions = Object.entries(actionsOf(status)).map(
    ([path, action]) => `${path}=${action.phase}${action.message === undefined ? '' : ` (${action.message})`}`,
  );
  return `${status.phase ?? 'no phase'}: ${status.message ?? ''}; ${actions.join(', ')}`;
}

function objects(tag: string, namespace: string): Pick<BehaviourCase, 'workflow' | 'plan' | 'execution' | 'revert'> {
  const meta = (name: string): Json => ({ name, namespace });
  return {
    workflow: (name, actions, spec = {}) => ({ apiVersion: DR_API, kind: 'DRWorkflow', metadata: meta(name), spec: { actions, ...spec } }),
    plan: (name, stages) => ({
      apiVersion: DR_API,
      kind: 'DRPlan',
      metadata: meta(name),
      spec: {
        description: `behaviour case ${tag}`,
        stages: stages.map((stage) => ({ ...stage, workflows: stage.workflows.map((workflow) => ({ workflowRef: { name: workflow } })) })),
      },
    }),
    execution: (name, plan) => ({ apiVersion: DR_API, kind: 'DRPlanExecution', metadata: meta(name), spec: { planRef: plan, operationType: 'Execute' } }),
    revert: (name, plan, target) => ({
      apiVersion: DR_API,
      kind: 'DRPlanExecution',
      metadata: meta(name),
      spec: { planRef: plan, operationType: 'Revert', revertExecutionRef: target },
    }),
  };
}

export function caseOf(env: E2eEnv, tag: string): BehaviourCase {
  const namespace = namespaceFor(`bh-${tag}`);
  const key = (kind: string, name: string): ObjectKey => ({ apiVersion: kind === 'Job' ? 'batch/v1' : DR_API, kind, name, namespace });
  const mine = (request: RecordedRequest): boolean => queryParam(request, 't') === tag;
  const status = async (name: string): Promise<DRPlanExecutionStatus | undefined> =>
    (await env.kube.get(key('DRPlanExecution', name)))?.status as DRPlanExecutionStatus | undefined;
  const self: BehaviourCase = {
    namespace,
    url: (path, step) => `${env.target.url}${path}?t=${tag}&step=${step}`,
    requests: () => env.target.requests().filter(mine),
    steps: () => self.requests().map((request) => queryParam(request, 'step') ?? ''),
    ...objects(tag, namespace),
    key,
    get: (kind, name) => env.kube.get(key(kind, name)),
    status,
    async setUp(list) {
      await env.createNamespace(namespace);
      for (const object of list) await env.kube.create(object);
      for (const object of list.filter((o) => o.kind === 'DRWorkflow' || o.kind === 'DRPlan')) {
        const name = object.metadata.name ?? '';
        await self.waitObject(object.kind, name, (current) => (isReady(current) ? true : undefined), 'to be Ready');
      }
    },
    async waitFor(name, done, what) {
      let last: DRPlanExecutionStatus | undefined;
      try {
        return await poll(
          async () => {
            last = await status(name);
            return last !== undefined && done(last) ? last : undefined;
          },
          `DRPlanExecution ${namespace}/${name} ${what}`,
          WAIT_MS,
        );
      } catch (error: unknown) {
        throw new Error(`${error instanceof Error ? error.message : String(error)}; last seen ${describeStatus(last)}`, { cause: error });
      }
    },
    async run(name, plan) {
      await env.kube.create(self.execution(name, plan));
      return self.waitFor(name, isFinished, 'to finish');
    },
    async waitObject(kind, name, read, what) {
      return poll(async () => read(await env.kube.get(key(kind, name))), `${kind} ${namespace}/${name} ${what}`, WAIT_MS);
    },
  };
  return self;
}

/** Every version of one execution's status, as a watch delivers them, from the moment it is started. */
export interface StatusRecorder {
  statuses(): DRPlanExecutionStatus[];
  stop(): void;
}

/** Watches `namespace/name` (a DRPlanExecution), again from the last version seen whenever the watch ends. */
export function recordStatuses(env: E2eEnv, namespace: string, name: string): StatusRecorder {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(env.kubeconfigPath);
  const watch = new Watch(kubeConfig);
  const seen: DRPlanExecutionStatus[] = [];
  const state: { stopped: boolean; resourceVersion?: string; controller?: AbortController } = { stopped: false };
  const path = `/apis/${DR_API}/namespaces/${namespace}/drplanexecutions`;
  const start = (): void => {
    if (state.stopped) return;
    const query = { fieldSelector: `metadata.name=${name}`, ...(state.resourceVersion === undefined ? {} : { resourceVersion: state.resourceVersion }) };
    const onEvent = (_type: string, object: unknown): void => {
      if (!isRecord(object) || !isRecord(object.metadata)) return;
      if (typeof object.metadata.resourceVersion === 'string') state.resourceVersion = object.metadata.resourceVersion;
      const status: DRPlanExecutionStatus = isRecord(object.status) ? object.status : {};
      seen.push(status);
    };
    watch
      .watch(path, query, onEvent, () => setTimeout(start, 100))
      .then(
        (controller) => {
          state.controller = controller;
        },
        () => setTimeout(start, 100),
      );
  };
  start();
  return {
    statuses: () => [...seen],
    stop: () => {
      state.stopped = true;
      state.controller?.abort();
    },
  };
}

/** The values in order with consecutive repeats collapsed: `[a, a, b, a]` → `[a, b, a]`. */
export const transitions = <T>(values: readonly T[]): T[] => values.filter((value, index) => index === 0 || value !== values[index - 1]);

/** The Kubernetes Events recorded on the execution `namespace/name`: `reason: message`, oldest first. */
export async function eventsOf(env: E2eEnv, namespace: string, name: string): Promise<string[]> {
  const events = await env.kube.list('v1', 'Event', { namespace });
  return events
    .filter((event) => isRecord(event.involvedObject) && event.involvedObject.name === name && event.involvedObject.kind === 'DRPlanExecution')
    .sort(
      (a, b) =>
        (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
    )
    .map((event) => `${String(event.reason)}: ${String(event.message)}`);
}
