/**
 * Reading a DRPlanExecution and writing its status the way every run-action step does: decide from the
 * object as read, write with its resourceVersion (a conditional merge patch), and on 409 read again and
 * decide again — a few times, then give up with `conflict` so the broker redelivers. A decision that
 * changes nothing writes nothing (our own status write would wake the other functions for nothing).
 */
import { isDeepStrictEqual } from 'node:util';
import type { DRPlanExecution, DRPlanExecutionStatus } from '../../shared/api/index.js';
import { DRPlanExecutionSchema } from '../../shared/api/index.js';
import { conflict, isConflict, toHandlerError } from '../../shared/errors.js';
import { CONFLICT_ATTEMPTS, conflictPause } from '../../shared/execution/conflict.js';
import type { CoreDeps, Logger } from '../../shared/function-deps.js';
import type { KubeObject } from '../../shared/kube/types.js';
import { isRecord } from '../../shared/type-utils.js';
import { executionKey, namespacedName } from '../../shared/keys.js';

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

const describe = (ref: Pick<ExecutionRef, 'name' | 'namespace'>): string => `execution ${namespacedName(ref)}`;

/**
 * An execution as read. `frozen` is `status.resolved` exactly as stored: when it does not fit the schema
 * (hand-edited, or written by another version) the rest of the execution is still read, so the action it
 * names can be failed with a message naming the field instead of being ignored forever.
 */
export type LoadedExecution = DRPlanExecution & { readonly frozen: unknown };

export function parseExecution(object: KubeObject, log: Logger): LoadedExecution | undefined {
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

export interface UpdateOptions {
  /** The execution as last read or written by the caller: the first round decides from it instead of reading. */
  current?: LoadedExecution | undefined;
  log: Logger;
  /** Read-decide-write rounds before giving up with `conflict` (default MAX_WRITE_ATTEMPTS). */
  attempts?: number;
}

/** One caller's decision waiting for the next write of its execution. */
interface Pending {
  ref: ExecutionRef;
  decide: (execution: LoadedExecution) => Decision<unknown> | undefined;
  options: UpdateOptions;
  resolve: (updated: Updated<unknown> | undefined) => void;
  reject: (error: unknown) => void;
}

/** What one round made of one caller's decision. */
type Verdict = { stopped: true } | { stopped: false; value: unknown } | { error: unknown };

/**
 * Group commit of the status writes of one process: the decisions that reach an execution while a
 * write of it is in flight wait, and then go in together — applied one after another to the status as
 * read, written with one conditional patch. Parallel attempts of one execution (a fan-out) thus make
 * one write instead of racing each other for the object and retrying on 409; each caller still gets
 * exactly what a write of its own would have given it (its value, the execution as written), and its
 * decision is still made from the status it is applied to. On 409 every waiting decision is made again
 * from a fresh read. A decision that throws fails only its caller.
 */
export class StatusWrites {
  readonly #queues = new Map<string, { pending: Pending[]; latest?: LoadedExecution | undefined }>();

  update<T>(
    deps: CoreDeps,
    ref: ExecutionRef,
    decide: (execution: LoadedExecution) => Decision<T> | undefined,
    options: UpdateOptions,
  ): Promise<Updated<T> | undefined> {
    const key = `${ref.namespace}/${ref.name}/${ref.uid}`;
    return new Promise<Updated<T> | undefined>((resolve, reject) => {
      const entry: Pending = { ref, decide, options, resolve: resolve as (updated: Updated<unknown> | undefined) => void, reject };
      const queue = this.#queues.get(key);
      if (queue !== undefined) {
        queue.pending.push(entry);
        return;
      }
      const fresh = { pending: [entry] };
      this.#queues.set(key, fresh);
      void this.#drain(deps, key, fresh);
    });
  }

  async #drain(deps: CoreDeps, key: string, queue: { pending: Pending[]; latest?: LoadedExecution | undefined }): Promise<void> {
    for (let batch = queue.pending.splice(0); isNonEmpty(batch); batch = queue.pending.splice(0)) {
      queue.latest = await commit(deps, batch, queue.latest);
    }
    this.#queues.delete(key);
  }
}

const isNonEmpty = <T>(list: T[]): list is [T, ...T[]] => list.length > 0;

function verdictOf(member: Pending, execution: LoadedExecution): { verdict: Verdict; status?: DRPlanExecutionStatus | undefined } {
  try {
    const decision = member.decide(execution);
    if (decision === undefined) return { verdict: { stopped: true } };
    return { verdict: { stopped: false, value: decision.value }, status: decision.status };
  } catch (error: unknown) {
    return { verdict: { error } };
  }
}

/** Applies every member's decision in turn, each to the status the ones before it left. */
function decideAll(batch: readonly Pending[], execution: LoadedExecution): { verdicts: Verdict[]; status: DRPlanExecutionStatus | undefined } {
  let status = execution.status;
  const verdicts = batch.map((member) => {
    const { verdict, status: next } = verdictOf(member, { ...execution, status });
    if (next !== undefined) status = next;
    return verdict;
  });
  return { verdicts, status };
}

function settle(batch: readonly Pending[], verdicts: readonly Verdict[], execution: LoadedExecution): void {
  batch.forEach((member, index) => {
    const verdict = verdicts[index];
    if (verdict === undefined || 'error' in verdict) member.reject(verdict?.error);
    else member.resolve(verdict.stopped ? undefined : { value: verdict.value, execution });
  });
}

const rejectAll = (batch: readonly Pending[], error: unknown): void => {
  for (const member of batch) member.reject(error);
};

/** A round either ends the commit (with the execution as last known) or must be run again from a fresh read. */
type Round = { done: true; latest: LoadedExecution | undefined } | { done: false };

/** One read-decide-write round of a group commit; settles every member unless the write conflicted. */
async function commitRound(deps: CoreDeps, batch: readonly [Pending, ...Pending[]], current: LoadedExecution | undefined): Promise<Round> {
  const [first] = batch;
  const execution = current ?? (await readExecution(deps, first.ref, first.options.log));
  if (execution === undefined) {
    for (const member of batch) member.resolve(undefined);
    return { done: true, latest: undefined };
  }
  const { verdicts, status } = decideAll(batch, execution);
  if (status === undefined || isDeepStrictEqual(status, execution.status)) {
    settle(batch, verdicts, execution);
    return { done: true, latest: execution };
  }
  try {
    const written = await write(deps, execution, status);
    settle(batch, verdicts, written);
    return { done: true, latest: written };
  } catch (error: unknown) {
    if (!isConflict(error)) throw toHandlerError(error, `writing the status of ${describe(first.ref)}`);
    return { done: false };
  }
}

/** One group commit; returns the execution as last known (for the next batch to start from), undefined if unknown. */
async function commit(deps: CoreDeps, batch: readonly [Pending, ...Pending[]], latest: LoadedExecution | undefined): Promise<LoadedExecution | undefined> {
  const attempts = Math.max(...batch.map((member) => member.options.attempts ?? MAX_WRITE_ATTEMPTS));
  let current = latest ?? batch[0].options.current;
  try {
    for (let round = 0; round < attempts; round++) {
      const outcome = await commitRound(deps, batch, current);
      if (outcome.done) return outcome.latest;
      current = undefined;
      await conflictPause(round);
    }
  } catch (error: unknown) {
    rejectAll(batch, error);
    return undefined;
  }
  rejectAll(batch, conflict(`writing the status of ${describe(batch[0].ref)}: still conflicting after ${attempts} attempts`));
  return undefined;
}

/**
 * Read (or start from `current`), decide, write conditionally; on 409 read again and decide again.
 * `decide` returns `undefined` to stop (nothing to do) and may throw to abort. Returns `undefined` when
 * the execution is gone or `decide` stopped. With `deps.statusWrites` the write is combined with the
 * process's other writes of the same execution (see StatusWrites).
 */
export function updateStatus<T>(
  deps: CoreDeps & { statusWrites?: StatusWrites | undefined },
  ref: ExecutionRef,
  decide: (execution: LoadedExecution) => Decision<T> | undefined,
  options: UpdateOptions,
): Promise<Updated<T> | undefined> {
  return (deps.statusWrites ?? new StatusWrites()).update(deps, ref, decide, options);
}
