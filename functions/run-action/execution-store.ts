/**
 * Reading a DRPlanExecution and writing its status the way every run-action step does: decide from the
 * object as read, write with its resourceVersion (a conditional merge patch), and on 409 read again and
 * decide again — a few times, then give up with `conflict` so the broker redelivers. A decision that
 * changes nothing writes nothing (our own status write would wake the other functions for nothing).
 */
import { isDeepStrictEqual } from 'node:util';
import type { DRPlanExecution, DRPlanExecutionStatus } from '../../shared/api/index.js';
import { API_VERSION, DRPlanExecutionSchema, Kinds } from '../../shared/api/index.js';
import type { TransitionEvent } from '../../shared/engine/transitions.js';
import { conflict, isConflict, toHandlerError } from '../../shared/errors.js';
import { CONFLICT_ATTEMPTS, conflictPause } from '../../shared/execution/conflict.js';
import type { CoreDeps, Logger } from '../../shared/function-deps.js';
import type { KubeObject, ObjectKey } from '../../shared/kube/types.js';
import { isRecord } from '../../shared/type-utils.js';

export interface ExecutionRef {
  name: string;
  namespace: string;
  uid: string;
}

/**
 * The number of read-decide-write rounds before a status write gives up with `conflict`. Parallel
 * workflows write the same execution object, so several writers may race at once; giving up early
 * would lose a claim or a result until the resync tick (shared with the orchestrators' driver).
 */
export const MAX_WRITE_ATTEMPTS = CONFLICT_ATTEMPTS;

/**
 * An attempt's result is worth more rounds: given up, it is lost with the process's memory of it, and
 * the attempt waits for its timeout to be re-driven (a claim given up costs nothing: the broker
 * redelivers the request).
 */
export const MAX_RESULT_WRITE_ATTEMPTS = 3 * CONFLICT_ATTEMPTS;

export const executionKey = (ref: Pick<ExecutionRef, 'name' | 'namespace'>): ObjectKey => ({
  apiVersion: API_VERSION,
  kind: Kinds.execution,
  name: ref.name,
  namespace: ref.namespace,
});

const describe = (ref: Pick<ExecutionRef, 'name' | 'namespace'>): string => `execution ${ref.namespace}/${ref.name}`;

/**
 * An execution as read. `frozen` is `status.resolved` exactly as stored: when it does not fit the schema
 * (hand-edited, or written by another version) the rest of the execution is still read, so the action it
 * names can be failed with a message naming the field instead of being ignored forever.
 */
export type LoadedExecution = DRPlanExecution & { readonly frozen: unknown };

function parseExecution(object: KubeObject, log: Logger): LoadedExecution | undefined {
  const status: unknown = object.status;
  const frozen = isRecord(status) ? status.resolved : undefined;
  const parsed = DRPlanExecutionSchema.safeParse(object);
  if (parsed.success) return { ...parsed.data, frozen };
  const { resolved: _ignored, ...rest } = isRecord(status) ? status : {};
  const withoutPlan = DRPlanExecutionSchema.safeParse({ ...object, status: rest });
  if (withoutPlan.success) return { ...withoutPlan.data, frozen };
  log.error({ issues: parsed.error.issues.slice(0, 3) }, 'execution does not parse; attempt ignored');
  return undefined;
}

/**
 * The execution, or `undefined` when it is gone, is another object of the same name (uid differs), or
 * cannot be read as a DRPlanExecution even without its frozen plan (logged: nothing to act on).
 */
export async function readExecution(deps: CoreDeps, ref: ExecutionRef, log: Logger): Promise<LoadedExecution | undefined> {
  let object;
  try {
    object = await deps.kube.get(executionKey(ref));
  } catch (error: unknown) {
    throw toHandlerError(error, `reading ${describe(ref)}`);
  }
  if (object?.metadata.uid !== ref.uid) return undefined;
  return parseExecution(object, log);
}

/** A decision: the next status (absent: nothing to write) and what the caller wants to know. */
export interface Decision<T> {
  status?: DRPlanExecutionStatus | undefined;
  value: T;
}

export interface Updated<T> {
  value: T;
  /** The execution as it now stands (the written status and its new resourceVersion). */
  execution: LoadedExecution;
}

/** A merge patch of the status' top-level fields that differ (null removes one), conditional on `resourceVersion`. */
export function statusPatch(execution: DRPlanExecution, next: DRPlanExecutionStatus): Record<string, unknown> {
  const before: Record<string, unknown> = { ...execution.status };
  const after: Record<string, unknown> = { ...next };
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const status: Record<string, unknown> = {};
  for (const key of keys) {
    if (!isDeepStrictEqual(before[key], after[key])) status[key] = after[key] ?? null;
  }
  return { metadata: { resourceVersion: execution.metadata.resourceVersion }, status };
}

async function write(deps: CoreDeps, execution: LoadedExecution, next: DRPlanExecutionStatus): Promise<LoadedExecution> {
  const ref = { name: execution.metadata.name ?? '', namespace: execution.metadata.namespace ?? '' };
  const written = await deps.kube.mergePatchStatus(executionKey(ref), statusPatch(execution, next));
  return { ...execution, metadata: { ...execution.metadata, resourceVersion: written.metadata.resourceVersion }, status: next };
}

/**
 * Read (or start from `current`), decide, write conditionally; on 409 read again and decide again.
 * `decide` returns `undefined` to stop (nothing to do) and may throw to abort. Returns `undefined` when
 * the execution is gone or `decide` stopped.
 */
export async function updateStatus<T>(
  deps: CoreDeps,
  ref: ExecutionRef,
  decide: (execution: LoadedExecution) => Decision<T> | undefined,
  options: { current?: LoadedExecution | undefined; log: Logger; attempts?: number },
): Promise<Updated<T> | undefined> {
  let current = options.current;
  const attempts = options.attempts ?? MAX_WRITE_ATTEMPTS;
  for (let round = 0; round < attempts; round++) {
    const execution = current ?? (await readExecution(deps, ref, options.log));
    if (execution === undefined) return undefined;
    const decision = decide(execution);
    if (decision === undefined) return undefined;
    if (decision.status === undefined || isDeepStrictEqual(decision.status, execution.status)) return { value: decision.value, execution };
    try {
      return { value: decision.value, execution: await write(deps, execution, decision.status) };
    } catch (error: unknown) {
      if (!isConflict(error)) throw toHandlerError(error, `writing the status of ${describe(ref)}`);
      current = undefined;
      await conflictPause(round);
    }
  }
  throw conflict(`writing the status of ${describe(ref)}: still conflicting after ${attempts} attempts`);
}

/** Records one Kubernetes Event per transition on the execution; Events are best effort (a failure is logged). */
export async function recordEvents(deps: CoreDeps, execution: DRPlanExecution, events: readonly TransitionEvent[], log: Logger): Promise<void> {
  const { name = '', namespace, uid } = execution.metadata;
  const regarding = { apiVersion: API_VERSION, kind: Kinds.execution, name, namespace, uid };
  for (const event of events) {
    try {
      await deps.kube.recordEvent({ regarding, type: event.type, reason: event.reason, message: event.message });
    } catch (error: unknown) {
      log.warn({ err: error, reason: event.reason }, 'could not record event');
    }
  }
}
