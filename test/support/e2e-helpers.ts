/**
 * Helpers for the end-to-end tests: the whole local stack (API server, the six function bundles under
 * the function host, the eventing playing `knative/`) and the demo target, started on a state folder
 * that can outlive one stack — or, with `DRPLAN_E2E_KUBECONFIG` set, a real cluster and the demo target
 * exposed to it (e2e-cluster.ts); the failover example applied; executions created and polled until
 * they reach a phase; and what the demo target saw, summarised per Idempotency-Key and per effect.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { KubeConfig } from '@kubernetes/client-node';
import type { DRPlanExecutionStatus } from '../../shared/api/index.js';
import type { Kube, KubeObject, ObjectKey } from '../../shared/kube/types.js';
import { SourceEventTypes } from '../../shared/events.js';
import type { BehaviourInput, DemoTarget, RecordedRequest } from '../../local/demo-target/index.js';
import type { DevStack } from '../../local/dev.js';
import type { Environment, EnvironmentOptions } from '../../local/drill/environment.js';
import { allowing, checkCluster, connectTo, E2E_MODE, E2eVariables, exposeTarget, type ClusterSettings, type Connection } from './e2e-cluster.js';

export { FUNCTIONS_NAMESPACE } from './e2e-cluster.js';
export const EXAMPLE_DIR = fileURLToPath(new URL('../../examples/failover', import.meta.url));
export const NAMESPACE = 'shop';
export const DR_API = 'dr.bkbcs.tencent.com/v1alpha1';
/** The local stack's resync tick: short, so that lost work is re-driven quickly. */
const LOCAL_TICK_SECONDS = 1;
/** The resync tick of where the tests run: the local stack's, or the cluster's (`DRPLAN_E2E_TICK`). */
export const TICK_SECONDS = E2E_MODE.kind === 'cluster' ? E2E_MODE.tickSeconds : LOCAL_TICK_SECONDS;
/** A pattern (RegExp source) of the demo target's origin as the functions call it, for messages that name a URL. */
export const TARGET_ORIGIN = E2E_MODE.kind === 'cluster' ? E2E_MODE.targetUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : 'http://127\\.0\\.0\\.1:\\d+';
/** The local functions' RECONCILE_INTERVAL: an action request nobody claimed is sent again after it. */
export const RECONCILE_SECONDS = 2;

const TERMINAL: ReadonlySet<string> = new Set(['Succeeded', 'Failed', 'Cancelled']);

/** Where the tests run: a stack that can be stopped and started again on the same state folder, or a cluster; one demo target throughout. */
export interface E2eEnv {
  /** The local stack's state folder; undefined on a cluster. */
  stateDir: string | undefined;
  target: DemoTarget;
  /** The local stack. On a cluster reading it throws: a test that needs it is skipped there. */
  stack: DevStack;
  kube: Kube;
  kubeConfig: KubeConfig;
  kubeconfigPath: string;
  /**
   * Creates the namespace `name` for a test, its `default` ServiceAccount granted what the tests' plans
   * do there (`grantPlanAccount`: the tenant's own grant, as a namespace owner makes it); on a cluster
   * `stop` deletes it again.
   */
  createNamespace(name: string): Promise<void>;
  /** Stops the stack only (the state folder and the target stay). */
  stopStack(): Promise<void>;
  /** Starts a new stack on the same state folder (after `stopStack`). */
  restartStack(): Promise<void>;
  /** Stops everything and removes the state folder; on a cluster, deletes the namespaces the test created. */
  stop(): Promise<void>;
}

const namespaceObject = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

/** What the tests' plans do in their own namespace: Jobs, core objects, Clusternet objects. */
const PLAN_RULES = [
  { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'list', 'delete'] },
  { apiGroups: [''], resources: ['configmaps', 'secrets', 'services'], verbs: ['create', 'get', 'patch', 'delete'] },
  { apiGroups: ['apps.clusternet.io'], resources: ['localizations', 'subscriptions'], verbs: ['create', 'get', 'patch', 'delete'] },
];

/**
 * Grants the ServiceAccount `account` (default `default`) of `namespace` the rules its plans need there —
 * drplan acts as that account (spec.serviceAccountName, else the operator's default), so without a
 * grant every Kubernetes action of a plan is refused. It is the namespace owner's step, done as the admin.
 */
export async function grantPlanAccount(kube: Kube, namespace: string, account = 'default'): Promise<void> {
  const name = `drplan-plan-${account}`;
  const rbac = 'rbac.authorization.k8s.io/v1';
  await kube.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: account, namespace } }, 'e2e');
  await kube.apply({ apiVersion: rbac, kind: 'Role', metadata: { name, namespace }, rules: PLAN_RULES }, 'e2e');
  await kube.apply(
    {
      apiVersion: rbac,
      kind: 'RoleBinding',
      metadata: { name, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name: account, namespace }],
    },
    'e2e',
  );
}

/**
 * `DRPLAN_E2E_LOG_DIR`: the stack's messages, each function's output and each delivery go to
 * `<dir>/<state folder>.log`, to see afterwards why a run went wrong (nothing is written without it).
 */
function stackLog(stateDir: string): { log: (line: string) => void; functionOutput?: (label: string, line: string) => void; trace?: (line: string) => void } {
  const dir = process.env['DRPLAN_E2E_LOG_DIR'];
  if (dir === undefined || dir === '') return { log: () => undefined };
  const file = join(dir, `${basename(stateDir)}.log`);
  const write = (line: string): void => {
    appendFileSync(file, `${new Date().toISOString()} ${line}\n`);
  };
  return {
    log: write,
    functionOutput: (label, line) => {
      write(`[${label}] ${line}`);
    },
    trace: (line) => {
      write(`[trace] ${line}`);
    },
  };
}

async function startStack(stateDir: string, extraEnv: Readonly<Record<string, string>> = {}): Promise<Connection & { stack: DevStack }> {
  const { startDevStack } = await import('../../local/dev.js');
  const stack = await startDevStack({
    stateDir,
    tickSeconds: LOCAL_TICK_SECONDS,
    extraEnv: { RECONCILE_INTERVAL: `${RECONCILE_SECONDS}s`, ...extraEnv },
    ...stackLog(stateDir),
  });
  return { stack, ...connectTo(stack.kubeconfigPath) };
}

/** Starts the demo target (with `behaviours`) and the stack on a new temporary state folder, or connects to the cluster. */
export async function startE2eEnv(behaviours: readonly BehaviourInput[] = []): Promise<E2eEnv> {
  return startE2eEnvWith({ behaviours });
}

export interface E2eOptions {
  /** Armed on the demo target at start (and by every reset). */
  behaviours?: readonly BehaviourInput[] | undefined;
  /**
   * Added to every function's env, over `RECONCILE_INTERVAL` (kept by `restartStack`). Local stack
   * only: a cluster runs its functions as installed (a test that needs these is skipped there).
   */
  extraEnv?: Readonly<Record<string, string>> | undefined;
}

/** `startE2eEnv` with settings for the functions as well. */
export async function startE2eEnvWith(options: E2eOptions): Promise<E2eEnv> {
  return E2E_MODE.kind === 'cluster' ? startClusterEnv(E2E_MODE, options) : startLocalEnv(options);
}

async function startLocalEnv(options: E2eOptions): Promise<E2eEnv> {
  const { startDemoTarget } = await import('../../local/demo-target/index.js');
  const stateDir = mkdtempSync(join(tmpdir(), 'drplan-e2e-'));
  const target = await startDemoTarget({ behaviours: options.behaviours ?? [] });
  const extraEnv = options.extraEnv ?? {};
  let running: Connection & { stack: DevStack };
  try {
    running = await startStack(stateDir, extraEnv);
  } catch (error: unknown) {
    await target.stop();
    rmSync(stateDir, { recursive: true, force: true });
    throw new Error('the local stack did not start', { cause: error });
  }
  let stopped = false;
  const env: E2eEnv = {
    stateDir,
    target,
    ...running,
    createNamespace: async (name) => {
      await env.kube.create(namespaceObject(name));
      await grantPlanAccount(env.kube, name);
    },
    stopStack: async () => {
      stopped = true;
      await env.stack.stop();
    },
    restartStack: async () => {
      const again = await startStack(stateDir, extraEnv);
      Object.assign(env, again);
      stopped = false;
    },
    stop: async () => {
      if (!stopped) await env.stack.stop();
      await target.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  return env;
}

const noStack = (what: string): Error =>
  new Error(`${what}: there is no local stack on a cluster (${E2eVariables.kubeconfig} is set); a test that needs it must be skipped there`);

/** The cluster of the settings, checked to have drplan installed, and the demo target exposed to it. */
async function connectCluster(settings: ClusterSettings, behaviours: readonly BehaviourInput[]): Promise<Connection & { target: DemoTarget }> {
  const connection = connectTo(settings.kubeconfigPath);
  await checkCluster(connection.kube, connection.kubeConfig, settings);
  const { startDemoTarget } = await import('../../local/demo-target/index.js');
  const local = await startDemoTarget({ behaviours });
  try {
    return { ...connection, target: await exposeTarget(local, settings) };
  } catch (error: unknown) {
    await local.stop();
    throw error;
  }
}

/** Deletes the namespaces (and so everything in them); does not wait until they are gone. */
async function removeNamespaces(kube: Kube, names: readonly string[]): Promise<void> {
  await Promise.all(names.map((name) => kube.remove({ apiVersion: 'v1', kind: 'Namespace', name })));
}

async function startClusterEnv(settings: ClusterSettings, options: E2eOptions): Promise<E2eEnv> {
  const { target, ...connection } = await connectCluster(settings, options.behaviours ?? []);
  const namespaces: string[] = [];
  return {
    stateDir: undefined,
    target,
    ...connection,
    get stack(): DevStack {
      throw noStack('env.stack');
    },
    createNamespace: async (name) => {
      await connection.kube.create(namespaceObject(name));
      namespaces.push(name);
      await grantPlanAccount(connection.kube, name);
    },
    stopStack: () => Promise.reject(noStack('stopStack')),
    restartStack: () => Promise.reject(noStack('restartStack')),
    stop: async () => {
      try {
        await removeNamespaces(connection.kube, namespaces);
      } finally {
        await target.stop();
      }
    },
  };
}

/**
 * What the drill runs in (`local/drill/environment.ts`): the local stack it starts, or on a cluster
 * the cluster and the demo target exposed to it (`options.tickSeconds` and the stack options are then
 * unused; `stateDir` is empty and `stack` throws).
 */
export async function startDrillEnvironment(options: EnvironmentOptions): Promise<Environment> {
  if (E2E_MODE.kind !== 'cluster') return (await import('../../local/drill.js')).startEnvironment(options);
  const started = Date.now();
  const { target, kube, kubeConfig } = await connectCluster(E2E_MODE, options.behaviours ?? []);
  return {
    get stack(): DevStack {
      throw noStack('env.stack');
    },
    target,
    kube,
    kubeConfig,
    stateDir: '',
    temporary: false,
    startMs: Date.now() - started,
    stop: () => target.stop(),
  };
}

/**
 * Waits until the resync tick has fired `count` times from now, and what those ticks started has been
 * delivered: locally it watches the broker's event log for the ticks (no fixed wait); on a cluster,
 * whose broker's log cannot be read, it waits `count` tick periods and half a second.
 */
export async function ticksPassed(env: E2eEnv, count: number): Promise<void> {
  if (E2E_MODE.kind === 'cluster') {
    await delay(count * TICK_SECONDS * 1000 + 500);
    return;
  }
  const log = env.stack.eventing.eventLog;
  const from = log.records().reduce((max, r) => Math.max(max, r.seq), 0);
  const ticks = (): number =>
    log.records().filter((r) => r.seq > from && r.record === 'accepted' && r.replayOf === undefined && r.event.type === SourceEventTypes.ping).length;
  await poll(() => (ticks() >= count ? true : undefined), `${count} resync ticks`, allowing(count * TICK_SECONDS * 1000 + 30_000));
  await env.stack.eventing.idle();
}

/** Polls `read` every 100 ms until it returns a value; throws naming `what` (and the last value seen) after `timeoutMs`. */
export async function poll<T>(read: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(100);
  }
}

const isReady = (object: KubeObject | undefined): boolean => {
  const status = (object?.status ?? {}) as { phase?: unknown; observedGeneration?: unknown };
  return status.observedGeneration === object?.metadata.generation && status.phase === 'Ready';
};

/** The workflow with the `timeout` of each action named in `timeouts` replaced (other objects as they are). */
function withTimeouts(object: KubeObject, timeouts: Readonly<Record<string, string>>): KubeObject {
  if (object.kind !== 'DRWorkflow') return object;
  const spec = object.spec as { actions?: { name?: string; timeout?: string }[] } | undefined;
  const actions = (spec?.actions ?? []).map((action) => {
    const timeout = timeouts[action.name ?? ''];
    return timeout === undefined ? action : { ...action, timeout };
  });
  return { ...object, spec: { ...spec, actions } };
}

/**
 * Applies the failover example's setup (with the action timeouts in `timeouts`, by action name, so
 * that a lost attempt is noticed sooner) and waits until its workflows and plan are Ready; returns its
 * Execute execution, pointed at the target.
 */
export async function applyExample(env: E2eEnv, timeouts: Readonly<Record<string, string>> = {}): Promise<KubeObject> {
  const { applyAll, keyOf, pointParamsAt, readExample } = await import('../../local/drill/example.js');
  const example = readExample(EXAMPLE_DIR);
  await applyAll(
    env.kube,
    example.setup.map((object) => withTimeouts(object, timeouts)),
  );
  const checked = example.setup.filter((object) => object.kind === 'DRWorkflow' || object.kind === 'DRPlan');
  for (const object of checked) {
    const key = keyOf(object);
    let last: KubeObject | undefined;
    try {
      await poll(
        async () => {
          last = await env.kube.get(key);
          return isReady(last) ? true : undefined;
        },
        `${key.kind} ${key.name} to be Ready`,
        allowing(60_000),
      );
    } catch (error: unknown) {
      throw new Error(
        `${error instanceof Error ? error.message : String(error)}; last seen: ${JSON.stringify({ generation: last?.metadata.generation, status: last?.status })}`,
        { cause: error },
      );
    }
  }
  return pointParamsAt(example.execute, env.target.url);
}

export const executionKey = (name: string): ObjectKey => ({ apiVersion: DR_API, kind: 'DRPlanExecution', name, namespace: NAMESPACE });

export async function statusOf(env: E2eEnv, name: string): Promise<DRPlanExecutionStatus | undefined> {
  const object = await env.kube.get(executionKey(name));
  return object?.status as DRPlanExecutionStatus | undefined;
}

/** Waits until the execution's status satisfies `done`; returns that status, or throws with the last one seen. */
export async function waitForStatus(
  env: E2eEnv,
  name: string,
  done: (status: DRPlanExecutionStatus) => boolean,
  timeoutMs = allowing(60_000),
): Promise<DRPlanExecutionStatus> {
  let last: DRPlanExecutionStatus | undefined;
  try {
    return await poll(
      async () => {
        last = await statusOf(env, name);
        return last !== undefined && done(last) ? last : undefined;
      },
      `DRPlanExecution ${NAMESPACE}/${name}`,
      timeoutMs,
    );
  } catch (error: unknown) {
    const seen =
      last === undefined
        ? 'no status'
        : `${last.phase ?? 'no phase'}: ${last.message ?? ''}; ${JSON.stringify(last.stageStatuses?.flatMap((s) => s.workflowExecutions ?? []).flatMap((w) => w.actionStatuses ?? []))}`;
    throw new Error(`${error instanceof Error ? error.message : String(error)}; last seen ${seen}`, { cause: error });
  }
}

export const isFinished = (status: DRPlanExecutionStatus): boolean => TERMINAL.has(status.phase ?? '');

/** Each action's phase, keyed `stage/workflow index/action`. */
export function actionPhases(status: DRPlanExecutionStatus): Record<string, string> {
  const entries = (status.stageStatuses ?? []).flatMap((stage) =>
    (stage.workflowExecutions ?? []).flatMap((workflow, index) =>
      (workflow.actionStatuses ?? []).map((action) => [`${stage.name}/${index}/${action.name}`, action.phase] as const),
    ),
  );
  return Object.fromEntries(entries);
}

/** Every phase in the status (execution, stages, workflows, actions) that is still Running or Pending. */
export function unfinishedParts(status: DRPlanExecutionStatus): string[] {
  const open = (phase: string | undefined): boolean => phase === 'Running' || phase === 'Pending';
  const parts = (status.stageStatuses ?? []).flatMap((stage) => [
    ...(open(stage.phase) ? [`stage ${stage.name}: ${stage.phase}`] : []),
    ...(stage.workflowExecutions ?? []).flatMap((workflow) =>
      (workflow.actionStatuses ?? []).filter((a) => open(a.phase)).map((a) => `action ${stage.name}/${a.name}: ${a.phase}`),
    ),
  ]);
  return open(status.phase) ? [`execution: ${status.phase ?? ''}`, ...parts] : parts;
}

/** How many requests carried each Idempotency-Key, for the keys seen more than once. */
export function repeatedKeys(requests: readonly RecordedRequest[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const request of requests) counts.set(request.idempotencyKey ?? '(none)', (counts.get(request.idempotencyKey ?? '(none)') ?? 0) + 1);
  return Object.fromEntries([...counts].filter(([, count]) => count > 1));
}

/** How many times each effect (method, path, body) was applied by the target: requests it handled, not answered from its key store. */
export function appliedEffects(requests: readonly RecordedRequest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const request of requests.filter((r) => r.outcome === 'handled' && r.method !== 'GET')) {
    const effect = `${request.method} ${request.path} ${request.body.replace(/\s/g, '')}`.trim();
    counts[effect] = (counts[effect] ?? 0) + 1;
  }
  return counts;
}

/** The Jobs in the example's namespace (the promotion Job is the only one an execution creates). */
export async function jobNames(env: E2eEnv): Promise<string[]> {
  const jobs = await env.kube.list('batch/v1', 'Job', { namespace: NAMESPACE });
  return jobs.map((job) => job.metadata.name ?? '').sort();
}

/** Whether the target is processing a request to `path` now (it has arrived and not been answered). */
export const inFlight = (target: DemoTarget, path: string): boolean => target.requests().some((r) => r.path === path && r.finishedMs === undefined);
