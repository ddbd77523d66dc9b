/**
 * Reading executions and plans for the orchestrators: object keys, an execution as read (the raw object,
 * whose resourceVersion makes every write conditional, and its parsed form), and the questions every
 * handler asks of it (finished? started? being deleted? cancel requested?).
 */
import type { DRPlanExecution, DRPlanExecutionStatus, OperationType } from '../api/index.js';
import { Annotations, ConditionsSchema, DRPlanExecutionSchema, ExecutionPhaseSchema, isFinalPhase } from '../api/index.js';
import { validateExecution } from '../engine/validate.js';
import type { Problem } from '../engine/problems.js';
import type { ObjectId } from '../event-data.js';
import type { Logger } from '../function-deps.js';
import type { Kube, KubeObject } from '../kube/types.js';
import { isRecord } from '../type-utils.js';
import { executionKey, nameOf, namespacedName } from '../keys.js';

/** An execution as read from the API. */
export interface Loaded {
  id: ObjectId;
  /** The object as stored; `metadata.resourceVersion` makes writes conditional. */
  object: KubeObject;
  /**
   * The parsed execution. When the schema rejects the object this is a stand-in built from what could be
   * read (planRef, operationType, a known phase) and `problems` says why; such an execution never runs.
   */
  execution: DRPlanExecution;
  /** Why the spec is unusable (field path + message); empty for a valid execution. */
  problems: Problem[];
  /**
   * `status.resolved` exactly as stored. When it does not fit the schema (hand-edited, or written by
   * another version) run-action still finds the action it names in it, to fail that action with a
   * message naming the field instead of ignoring it forever (functions/run-action/locate.ts).
   */
  frozen: unknown;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

export const idOf = (object: KubeObject): ObjectId => nameOf(object);

/** The operation of a stored execution, read tolerantly: anything but `Revert` is Execute's to handle. */
export function operationOf(object: KubeObject): OperationType {
  const spec = isRecord(object.spec) ? object.spec : {};
  return spec.operationType === 'Revert' ? 'Revert' : 'Execute';
}

/** The phase and conditions of a status the schema rejects, where they can be read. */
function readableStatus(object: KubeObject): DRPlanExecutionStatus {
  const raw = isRecord(object.status) ? object.status : {};
  const status: DRPlanExecutionStatus = {};
  const phase = ExecutionPhaseSchema.safeParse(raw.phase);
  if (phase.success) status.phase = phase.data;
  const conditions = ConditionsSchema.safeParse(raw.conditions);
  if (conditions.success) status.conditions = conditions.data;
  return status;
}

/** What can be read of an execution the schema rejects: enough to fail it, never enough to run it. */
function standIn(object: KubeObject): DRPlanExecution {
  const spec = isRecord(object.spec) ? object.spec : {};
  return { metadata: object.metadata, spec: { planRef: text(spec.planRef), operationType: operationOf(object) }, status: readableStatus(object) };
}

const frozenOf = (object: KubeObject): unknown => (isRecord(object.status) ? object.status.resolved : undefined);

/** An execution as the orchestrators read it: one the schema rejects is a stand-in with its problems. */
export function toLoaded(object: KubeObject): Loaded {
  const validation = validateExecution(object);
  const execution = validation.execution ?? standIn(object);
  return { id: idOf(object), object, execution, problems: validation.problems, frozen: frozenOf(object) };
}

/**
 * An execution as run-action reads it: parsed by the schema, with a frozen plan that does not parse read
 * without it (the plan stays in `frozen`); undefined when even that fails (logged: nothing to act on).
 */
export function toRunnable(object: KubeObject, log: Logger): Loaded | undefined {
  const status: unknown = object.status;
  const parsed = DRPlanExecutionSchema.safeParse(object);
  const execution = parsed.success ? parsed.data : withoutPlan(object);
  if (execution === undefined) {
    log.error({ issues: parsed.error?.issues.slice(0, 3) }, 'execution does not parse; attempt ignored');
    return undefined;
  }
  return { id: idOf(object), object, execution, problems: [], frozen: isRecord(status) ? status.resolved : undefined };
}

function withoutPlan(object: KubeObject): DRPlanExecution | undefined {
  const { resolved: _ignored, ...rest } = isRecord(object.status) ? object.status : {};
  const parsed = DRPlanExecutionSchema.safeParse({ ...object, status: rest });
  return parsed.success ? parsed.data : undefined;
}

export async function loadExecution(kube: Kube, id: ObjectId): Promise<Loaded | undefined> {
  const object = await kube.get(executionKey(id));
  return object === undefined ? undefined : toLoaded(object);
}

export { isFinalPhase };
export const isFinished = (loaded: Loaded): boolean => isFinalPhase(loaded.execution.status?.phase);
export const isDeleting = (loaded: Loaded): boolean => loaded.object.metadata.deletionTimestamp !== undefined;
/** Started: the plan is frozen into the status (a schema-rejected execution's stand-in never is). */
export const isStarted = (loaded: Loaded): boolean => loaded.execution.status?.resolved !== undefined;
export const cancelRequested = (object: { metadata: { annotations?: Readonly<Record<string, string>> | undefined } }): boolean =>
  object.metadata.annotations?.[Annotations.cancel] === 'true';
export const pauseRequested = (object: { metadata: { annotations?: Readonly<Record<string, string>> | undefined } }): boolean =>
  object.metadata.annotations?.[Annotations.pause] === 'true';

/** The actions a person decided to skip (`dr.bkbcs.tencent.com/skip`, path → reason); an unreadable value skips nothing. */
export function skipsRequested(object: { metadata: { annotations?: Readonly<Record<string, string>> | undefined } }): Record<string, string> {
  const text = object.metadata.annotations?.[Annotations.skip];
  if (text === undefined) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (!isRecord(value)) return {};
    return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== ''));
  } catch {
    return {};
  }
}

/** The plan an execution belongs to (same namespace). */
export const planIdOf = (loaded: Loaded): ObjectId => ({ name: loaded.execution.spec.planRef, namespace: loaded.id.namespace });

/** `default/my-execution` */
export const subjectOf = (id: ObjectId): string => namespacedName(id);

/** The execution with `object` as its latest stored version and `status` as its status. */
export function withStatus(loaded: Loaded, object: KubeObject, status: DRPlanExecutionStatus): Loaded {
  return { ...loaded, object, frozen: frozenOf(object), execution: { ...loaded.execution, metadata: object.metadata, status } };
}
