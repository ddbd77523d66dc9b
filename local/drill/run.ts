/**
 * One drill in a running environment: apply the example, wait until its workflows and plan are Ready,
 * create the Execute execution and follow it live until it ends, create the Revert and follow it, and
 * collect what the summary shows (phases, times, the demo target's requests and state, the objects
 * the execution created, the example's ConfigMaps). A failed Execute is still reverted: what did
 * succeed is rolled back.
 */
import { isFinalPhase, Kinds, Plurals, type ActionOutputs, type DRPlanExecutionStatus } from '../../shared/api/index.js';
import type { Kube, KubeObject, ObjectKey } from '../../shared/kube/types.js';
import type { ApplicationState, RecordedRequest } from '../demo-target/index.js';
import type { Environment } from './environment.js';
import { applyAll, freeName, keyOf, pointParamsAt, readExample, renamed } from './example.js';
import { ProgressTracker, statusOf } from './progress.js';
import { WaitTimeout, waitFor } from './watch.js';

export interface RunOptions {
  exampleDir: string;
  /** The longest each wait may take. */
  timeoutMs: number;
  /** Progress lines. */
  out: (line: string) => void;
}

export interface ExecutionReport {
  name: string;
  namespace: string;
  phase: string;
  message?: string | undefined;
  status: DRPlanExecutionStatus;
  tracker: ProgressTracker;
  /** When the drill created it (ms since the epoch). */
  createdMs: number;
  /** From its creation to the end, as seen by the drill (ms). */
  elapsedMs: number;
}

/** An object an action created (its outputs' reference): did it exist after the Execute, after the Revert? */
export interface CreatedObject {
  key: ObjectKey;
  afterExecute: boolean;
  afterRevert?: boolean | undefined;
}

export interface ConfigMapCheck {
  key: ObjectKey;
  before: Record<string, string> | undefined;
  afterExecute: Record<string, string> | undefined;
  afterRevert?: Record<string, string> | undefined;
}

export interface DrillReport {
  exampleDir: string;
  setupMs: number;
  execute: ExecutionReport;
  revert?: ExecutionReport | undefined;
  targetUrl: string;
  requests: RecordedRequest[];
  duplicates: number;
  targetAfterExecute: ApplicationState;
  targetAfterRevert?: ApplicationState | undefined;
  created: CreatedObject[];
  configMaps: ConfigMapCheck[];
}

const PLURALS: Readonly<Record<string, string>> = { ...Plurals, ConfigMap: 'configmaps' };

/**
 * How long an object must stay Invalid before the drill believes it. Validation is eventually
 * consistent: a plan applied before its workflows (files apply in name order) is Invalid until they
 * are Ready, then validated again.
 */
export const INVALID_SETTLE_MS = 5000;

/** The Ready condition's message of an object Invalid for its current generation, else undefined. */
function invalidMessage(object: KubeObject | undefined): string | undefined {
  const status = (object?.status ?? {}) as { phase?: unknown; observedGeneration?: unknown; conditions?: { type?: unknown; message?: unknown }[] };
  if (object === undefined || status.observedGeneration !== object.metadata.generation || status.phase !== 'Invalid') return undefined;
  const condition = (status.conditions ?? []).find((c) => c.type === 'Ready');
  return typeof condition?.message === 'string' ? condition.message : 'Invalid';
}

/** Ready (or Executed) for the object's current generation. */
function readiness(object: KubeObject): true | undefined {
  const status = (object.status ?? {}) as { phase?: unknown; observedGeneration?: unknown };
  if (status.observedGeneration !== object.metadata.generation) return undefined;
  return status.phase === 'Ready' || status.phase === 'Executed' ? true : undefined;
}

/** Rejects once the object has stayed Invalid for INVALID_SETTLE_MS (checked every 500 ms) until `done` is set. */
async function staysInvalid(env: Environment, key: ObjectKey, done: { value: boolean }): Promise<never> {
  let since: number | undefined;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    if (done.value) return new Promise<never>(() => undefined);
    const message = invalidMessage(await env.kube.get(key).catch(() => undefined));
    since = message === undefined ? undefined : (since ?? Date.now());
    if (message !== undefined && since !== undefined && Date.now() - since >= INVALID_SETTLE_MS) {
      throw new Error(`${key.kind} ${key.namespace ?? 'default'}/${key.name} is Invalid: ${message}`);
    }
  }
}

async function waitReady(env: Environment, objects: readonly KubeObject[], timeoutMs: number): Promise<void> {
  const waits = objects
    .filter((object) => object.kind === Kinds.workflow || object.kind === Kinds.plan)
    .map(async (object) => {
      const key = keyOf(object);
      const what = `${key.kind} ${key.namespace ?? 'default'}/${key.name} to be Ready`;
      const done = { value: false };
      try {
        await Promise.race([
          waitFor({ kube: env.kube, kubeConfig: env.kubeConfig, plural: PLURALS[key.kind] ?? '' }, key, readiness, { timeoutMs, what }),
          staysInvalid(env, key, done),
        ]);
      } finally {
        done.value = true;
      }
    });
  await Promise.all(waits);
}

/** The phase, progress and message of the last version seen, for a timeout's message. */
function lastSeen(object: KubeObject | undefined): string {
  const status = object === undefined ? undefined : statusOf(object);
  if (status === undefined) return 'no status was written (are the functions and the eventing running?)';
  return `last seen ${status.phase ?? 'without a phase'}${status.progress === undefined ? '' : `, ${status.progress}`}${status.message === undefined ? '' : `: ${status.message}`}`;
}

/** Creates the execution and follows it until it ends, printing each transition. */
async function follow(env: Environment, execution: KubeObject, options: RunOptions): Promise<ExecutionReport> {
  const key = keyOf(execution);
  const namespace = key.namespace ?? 'default';
  const origin = Date.now();
  const tracker = new ProgressTracker(key.name, Date.now, origin);
  await env.kube.create(execution);
  const decide = (object: KubeObject): KubeObject | undefined => {
    for (const line of tracker.observe(object)) options.out(line);
    const phase = statusOf(object)?.phase;
    return isFinalPhase(phase) ? object : undefined;
  };
  const what = `DRPlanExecution ${namespace}/${key.name} to finish`;
  const final = await waitFor({ kube: env.kube, kubeConfig: env.kubeConfig, plural: Plurals.DRPlanExecution }, { ...key, namespace }, decide, {
    timeoutMs: options.timeoutMs,
    what,
  }).catch((error: unknown) => {
    throw error instanceof WaitTimeout ? new Error(`${error.message}; ${lastSeen(error.last)}`, { cause: error }) : error;
  });
  const status = statusOf(final) ?? {};
  return {
    name: key.name,
    namespace,
    phase: status.phase ?? 'Unknown',
    message: status.message,
    status,
    tracker,
    createdMs: origin,
    elapsedMs: Date.now() - origin,
  };
}

const REF_FIELDS = ['jobRef', 'localizationRef', 'subscriptionRef', 'resourceRef'] as const;

/** The objects the Execute's actions created (per their outputs). */
export function createdObjects(status: DRPlanExecutionStatus): ObjectKey[] {
  const outputs: ActionOutputs[] = (status.stageStatuses ?? []).flatMap((stage) =>
    (stage.workflowExecutions ?? []).flatMap((workflow) =>
      (workflow.actionStatuses ?? []).flatMap((action) => (action.outputs === undefined ? [] : [action.outputs])),
    ),
  );
  return outputs
    .filter((output) => output.created !== false)
    .flatMap((output) => REF_FIELDS.flatMap((field) => (output[field] === undefined ? [] : [output[field]])))
    .flatMap((ref) =>
      ref.apiVersion === undefined || ref.kind === undefined || ref.name === undefined
        ? []
        : [{ apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, namespace: ref.namespace }],
    );
}

const exists = async (kube: Kube, key: ObjectKey): Promise<boolean> => (await kube.get(key)) !== undefined;

async function configMapData(kube: Kube, key: ObjectKey): Promise<Record<string, string> | undefined> {
  const object = await kube.get(key);
  return object === undefined ? undefined : { ...((object.data ?? {}) as Record<string, string>) };
}

async function afterExecute(
  env: Environment,
  execute: ExecutionReport,
  configMaps: readonly ObjectKey[],
): Promise<{ created: CreatedObject[]; checks: ConfigMapCheck[] }> {
  const created = await Promise.all(createdObjects(execute.status).map(async (key) => ({ key, afterExecute: await exists(env.kube, key) })));
  const checks = await Promise.all(configMaps.map(async (key) => ({ key, before: undefined, afterExecute: await configMapData(env.kube, key) })));
  return { created, checks };
}

async function prepare(
  env: Environment,
  options: RunOptions,
): Promise<{ execute: KubeObject; revert: KubeObject | undefined; configMaps: ObjectKey[]; before: (Record<string, string> | undefined)[] }> {
  const example = readExample(options.exampleDir);
  await applyAll(env.kube, example.setup);
  await waitReady(env, example.setup, options.timeoutMs);
  const configMaps = example.setup.filter((object) => object.kind === 'ConfigMap').map(keyOf);
  const before = await Promise.all(configMaps.map((key) => configMapData(env.kube, key)));
  const executeName = await freeName(env.kube, example.execute);
  const execute = renamed(pointParamsAt(example.execute, env.target.url), executeName);
  const revert = example.revert === undefined ? undefined : renamed(example.revert, await freeName(env.kube, example.revert), executeName);
  return { execute, revert, configMaps, before };
}

/** Runs the drill of `options.exampleDir` in `env` (which it leaves running). */
export async function runDrillIn(env: Environment, options: RunOptions): Promise<DrillReport> {
  const setupStarted = Date.now();
  const prepared = await prepare(env, options);
  const setupMs = Date.now() - setupStarted;
  options.out(`execute: creating DRPlanExecution ${keyOf(prepared.execute).namespace ?? 'default'}/${prepared.execute.metadata.name ?? ''}`);
  const execute = await follow(env, prepared.execute, options);
  const targetAfterExecute = env.target.state();
  const { created, checks } = await afterExecute(env, execute, prepared.configMaps);
  const configMaps = checks.map((check, index) => ({ ...check, before: prepared.before[index] }));
  const report: DrillReport = {
    exampleDir: options.exampleDir,
    setupMs,
    execute,
    targetUrl: env.target.url,
    requests: [],
    duplicates: 0,
    targetAfterExecute,
    created,
    configMaps,
  };
  if (prepared.revert !== undefined) {
    options.out(`revert: creating DRPlanExecution ${keyOf(prepared.revert).namespace ?? 'default'}/${prepared.revert.metadata.name ?? ''}`);
    report.revert = await follow(env, prepared.revert, options);
    report.targetAfterRevert = env.target.state();
    for (const object of created) object.afterRevert = await exists(env.kube, object.key);
    for (const check of configMaps) check.afterRevert = await configMapData(env.kube, check.key);
  }
  return { ...report, requests: env.target.requests(), duplicates: env.target.duplicates() };
}
