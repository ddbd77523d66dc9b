/**
 * The resync tick: ApiServerSource misses what happened while its watch was down, and time alone moves
 * an execution on (timeouts, retries coming due, requests nobody claimed, attempts gone silent). Every
 * execution of the operation that still needs something is reconciled; one failing does not stop the
 * others (the next tick tries it again).
 */
import { API_VERSION, Kinds, Labels } from '../api/index.js';
import type { ObjectId } from '../event-data.js';
import type { CoreDeps, Outcome, Reply } from '../function-deps.js';
import { isRecorded } from './finish.js';
import type { Loaded } from './objects.js';
import { isDeleting, isFinished, operationOf, toLoaded } from './objects.js';
import type { Orchestrator } from './reconcile.js';
import { reconcileExecution } from './reconcile.js';
import { markDone } from './ownership.js';

/** Unfinished, finished without its bookkeeping, or being deleted. */
export const needsResync = (loaded: Loaded): boolean => isDeleting(loaded) || !isFinished(loaded) || !isRecorded(loaded);

/** Executions recorded before the `recorded` mark existed get it, so the next tick does not list them. */
async function markRecordedOnes(deps: CoreDeps, executions: readonly Loaded[]): Promise<void> {
  for (const loaded of executions) {
    if (needsResync(loaded)) continue;
    try {
      await markDone(deps.kube, loaded);
    } catch (error: unknown) {
      deps.log.warn(
        { err: error, execution: loaded.id.name, namespace: loaded.id.namespace },
        'could not mark a recorded execution; the next tick tries again',
      );
    }
  }
}

/** `reconcile` is how one execution is reconciled (the orchestrator's, which runs one at a time per execution). */
export async function resyncExecutions(
  deps: CoreDeps,
  orchestrator: Orchestrator,
  reconcile: (id: ObjectId) => Promise<Outcome> = (id) => reconcileExecution(deps, id, orchestrator),
): Promise<Outcome> {
  // those marked recorded are done (finalizer off, end in the history): the tick never reads them again
  const objects = await deps.kube.list(API_VERSION, Kinds.execution, { labelSelector: `!${Labels.recorded}` });
  const ours = objects.filter((object) => operationOf(object) === orchestrator.operation).map(toLoaded);
  await markRecordedOnes(deps, ours);
  const due = ours.filter(needsResync);
  const replies: Reply[] = [];
  for (const { id } of due) {
    try {
      replies.push(...(await reconcile(id)));
    } catch (error: unknown) {
      deps.log.error({ err: error, execution: id.name, namespace: id.namespace }, 'resync of an execution failed');
    }
  }
  deps.log.debug({ operation: orchestrator.operation, executions: due.length, replies: replies.length }, 'resync done');
  return replies;
}
