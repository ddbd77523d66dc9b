/**
 * The one store of an execution's status, used by every function that writes it: decide from the object
 * as read, write what changed with its resourceVersion (a conditional merge patch), and on 409 read again
 * and decide again (the one conflict-retry loop, shared/kube/conflict.ts). A decision that changes
 * nothing writes nothing (our own status write would wake the other functions for nothing). run-action
 * goes through StatusWrites (group commit, below); the orchestrators decide from a whole reconcile's
 * read and write with `writeStatus` inside `retryOnConflict`.
 */
import { isDeepStrictEqual } from 'node:util';
import type { DRPlanExecutionStatus } from '../api/index.js';
import { isConflict, toHandlerError } from '../errors.js';
import { CONFLICT_ATTEMPTS, retryOnConflict } from '../kube/conflict.js';
import type { CoreDeps, Logger } from '../function-deps.js';
import { executionKey, namespacedName } from '../keys.js';
import { mergePatchBetween } from './merge-patch.js';
import type { Loaded } from './objects.js';
import { toRunnable, withStatus } from './objects.js';

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
 * The execution, or `undefined` when it is gone, is another object of the same name (uid differs), or
 * cannot be read as a DRPlanExecution even without its frozen plan (logged: nothing to act on).
 */
export async function readExecution(deps: CoreDeps, ref: ExecutionRef, log: Logger): Promise<Loaded | undefined> {
  let object;
  try {
    object = await deps.kube.get(executionKey(ref));
  } catch (error: unknown) {
    throw toHandlerError(error, `reading ${describe(ref)}`);
  }
  if (object?.metadata.uid !== ref.uid) return undefined;
  return toRunnable(object, log);
}

/** A decision: the next status (absent: nothing to write) and what the caller wants to know. */
export interface Decision<T> {
  status?: DRPlanExecutionStatus | undefined;
  value: T;
}

export interface Updated<T> {
  value: T;
  /** The execution as it now stands (the written status and its new resourceVersion). */
  loaded: Loaded;
}

/**
 * Writes `next` as the status of `loaded`, conditional on the resourceVersion it was read at: only what
 * changed goes (a JSON merge patch). A 409 is thrown for the caller's retry loop to read and decide again.
 */
export async function writeStatus(deps: CoreDeps, loaded: Loaded, next: DRPlanExecutionStatus): Promise<Loaded> {
  const patch = mergePatchBetween(loaded.execution.status, next);
  if (patch === undefined) return loaded;
  const written = await deps.kube.mergePatchStatus(executionKey(loaded.id), {
    metadata: { resourceVersion: loaded.object.metadata.resourceVersion },
    status: patch,
  });
  return withStatus(loaded, written, next);
}

export interface UpdateOptions {
  /** The execution as last read or written by the caller: the first round decides from it instead of reading. */
  current?: Loaded | undefined;
  log: Logger;
  /** Read-decide-write rounds before giving up with `conflict` (default MAX_WRITE_ATTEMPTS). */
  attempts?: number;
}

/** One caller's decision waiting for the next write of its execution. */
interface Pending {
  ref: ExecutionRef;
  decide: (execution: Loaded) => Decision<unknown> | undefined;
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
  readonly #queues = new Map<string, { pending: Pending[]; latest?: Loaded | undefined }>();

  update<T>(
    deps: CoreDeps,
    ref: ExecutionRef,
    decide: (execution: Loaded) => Decision<T> | undefined,
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

  async #drain(deps: CoreDeps, key: string, queue: { pending: Pending[]; latest?: Loaded | undefined }): Promise<void> {
    for (let batch = queue.pending.splice(0); isNonEmpty(batch); batch = queue.pending.splice(0)) {
      queue.latest = await commit(deps, batch, queue.latest);
    }
    this.#queues.delete(key);
  }
}

const isNonEmpty = <T>(list: T[]): list is [T, ...T[]] => list.length > 0;

function verdictOf(member: Pending, loaded: Loaded): { verdict: Verdict; status?: DRPlanExecutionStatus | undefined } {
  try {
    const decision = member.decide(loaded);
    if (decision === undefined) return { verdict: { stopped: true } };
    return { verdict: { stopped: false, value: decision.value }, status: decision.status };
  } catch (error: unknown) {
    return { verdict: { error } };
  }
}

/** Applies every member's decision in turn, each to the status the ones before it left. */
function decideAll(batch: readonly Pending[], loaded: Loaded): { verdicts: Verdict[]; status: DRPlanExecutionStatus | undefined } {
  let status = loaded.execution.status;
  const verdicts = batch.map((member) => {
    const { verdict, status: next } = verdictOf(member, { ...loaded, execution: { ...loaded.execution, status } });
    if (next !== undefined) status = next;
    return verdict;
  });
  return { verdicts, status };
}

function settle(batch: readonly Pending[], verdicts: readonly Verdict[], loaded: Loaded): void {
  batch.forEach((member, index) => {
    const verdict = verdicts[index];
    if (verdict === undefined || 'error' in verdict) member.reject(verdict?.error);
    else member.resolve(verdict.stopped ? undefined : { value: verdict.value, loaded });
  });
}

const rejectAll = (batch: readonly Pending[], error: unknown): void => {
  for (const member of batch) member.reject(error);
};

/**
 * One read-decide-write round of a group commit; settles every member, or throws the 409 of a write
 * that lost a race (nobody settled: the next round decides again from a fresh read).
 */
async function commitRound(deps: CoreDeps, batch: readonly [Pending, ...Pending[]], current: Loaded | undefined): Promise<Loaded | undefined> {
  const [first] = batch;
  const loaded = current ?? (await readExecution(deps, first.ref, first.options.log));
  if (loaded === undefined) {
    for (const member of batch) member.resolve(undefined);
    return undefined;
  }
  const { verdicts, status } = decideAll(batch, loaded);
  if (status === undefined || isDeepStrictEqual(status, loaded.execution.status)) {
    settle(batch, verdicts, loaded);
    return loaded;
  }
  let written: Loaded;
  try {
    written = await writeStatus(deps, loaded, status);
  } catch (error: unknown) {
    if (isConflict(error)) throw error;
    throw toHandlerError(error, `writing the status of ${describe(first.ref)}`);
  }
  settle(batch, verdicts, written);
  return written;
}

/** One group commit; returns the execution as last known (for the next batch to start from), undefined if unknown. */
async function commit(deps: CoreDeps, batch: readonly [Pending, ...Pending[]], latest: Loaded | undefined): Promise<Loaded | undefined> {
  const attempts = Math.max(...batch.map((member) => member.options.attempts ?? MAX_WRITE_ATTEMPTS));
  let current = latest ?? batch[0].options.current;
  try {
    return await retryOnConflict(
      `writing the status of ${describe(batch[0].ref)}`,
      async () => {
        const from = current;
        current = undefined; // a round that conflicts leaves the next one to read afresh
        return commitRound(deps, batch, from);
      },
      { attempts },
    );
  } catch (error: unknown) {
    rejectAll(batch, error);
    return undefined;
  }
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
  decide: (execution: Loaded) => Decision<T> | undefined,
  options: UpdateOptions,
): Promise<Updated<T> | undefined> {
  return (deps.statusWrites ?? new StatusWrites()).update(deps, ref, decide, options);
}
