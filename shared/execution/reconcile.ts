/**
 * One reconcile of an execution, level-triggered: read it, decide from what it is now, act. The event
 * that woke the handler is only a hint. A write that loses a race (409) makes the whole step run again
 * from a fresh read, so a decision is never applied to a state it was not made from.
 */
import type { OperationType } from '../api/index.js';
import type { ObjectId } from '../event-data.js';
import type { CoreDeps, Outcome } from '../function-deps.js';
import { retryOnConflict } from '../kube/conflict.js';
import { drive } from './driver.js';
import { ensureRecorded, finishUnstarted, recordFinish } from './finish.js';
import type { Loaded } from './objects.js';
import { cancelRequested, isDeleting, isFinished, isStarted, loadExecution, subjectOf } from './objects.js';
import { removeFinalizer } from './ownership.js';

/** How one operation starts an execution: checks, lock, frozen plan, first scheduling step. */
export type StartFn = (deps: CoreDeps, loaded: Loaded) => Promise<Outcome>;

export interface Orchestrator {
  operation: OperationType;
  start: StartFn;
}

export const CANCELLED_BEFORE_START = 'cancelled before it started';
export const DELETED_BEFORE_START = 'cancelled: the execution was deleted before it started';

/** Handler-scoped dependencies: the logger carries the execution. */
export const scoped = (deps: CoreDeps, id: ObjectId): CoreDeps => ({ ...deps, log: deps.log.child({ execution: id.name, namespace: id.namespace }) });

/**
 * An execution being deleted: one still running is cancelled first (Jobs deleted, phase Cancelled),
 * then its final record goes into the plan's history (and the lock is released if it holds it), then
 * the finalizer comes off and the API server completes the deletion.
 */
async function finalize(deps: CoreDeps, loaded: Loaded): Promise<Outcome> {
  let replies: Outcome = [];
  let current = loaded;
  if (!isFinished(current)) {
    replies = isStarted(current) ? await drive(deps, current, true) : await finishUnstarted(deps, current, 'Cancelled', DELETED_BEFORE_START);
    const reread = await loadExecution(deps.kube, current.id);
    if (reread === undefined) return replies;
    current = reread;
  }
  await recordFinish(deps, current);
  await removeFinalizer(deps.kube, current);
  deps.log.info({}, 'execution finalized');
  return replies;
}

function dispatch(deps: CoreDeps, loaded: Loaded, start: StartFn): Promise<Outcome> {
  if (isDeleting(loaded)) return finalize(deps, loaded);
  if (isFinished(loaded)) return ensureRecorded(deps, loaded);
  const cancel = cancelRequested(loaded.object);
  if (isStarted(loaded)) return drive(deps, loaded, cancel);
  return cancel ? finishUnstarted(deps, loaded, 'Cancelled', CANCELLED_BEFORE_START) : start(deps, loaded);
}

/** Reconciles the execution `id` if it is of the orchestrator's operation; gone or another's → `[]`. */
export async function reconcileExecution(deps: CoreDeps, id: ObjectId, orchestrator: Orchestrator): Promise<Outcome> {
  const local = scoped(deps, id);
  return retryOnConflict(`execution ${subjectOf(id)}`, async () => {
    const loaded = await loadExecution(deps.kube, id);
    if (loaded === undefined || loaded.execution.spec.operationType !== orchestrator.operation) return [];
    return dispatch(local, loaded, orchestrator.start);
  });
}

/**
 * Cancels the execution `id` when its cancel annotation is `"true"`, whatever its operation: nothing new
 * starts, pending work is Skipped, running attempts stop and their Jobs are deleted, phase Cancelled,
 * lock released, history recorded. A finished execution, or one being deleted, is left alone.
 */
export async function cancelExecution(deps: CoreDeps, id: ObjectId): Promise<Outcome> {
  const local = scoped(deps, id);
  return retryOnConflict(`execution ${subjectOf(id)}`, async () => {
    const loaded = await loadExecution(deps.kube, id);
    if (loaded === undefined || !cancelRequested(loaded.object) || isDeleting(loaded) || isFinished(loaded)) return [];
    local.log.info({}, 'cancel requested');
    if (!isStarted(loaded)) return finishUnstarted(local, loaded, 'Cancelled', CANCELLED_BEFORE_START);
    return drive(local, loaded, true);
  });
}
