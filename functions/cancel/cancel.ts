/**
 * cancel: stops an execution when asked — on the execution (`dr.bkbcs.tencent.com/cancel: "true"`) or on
 * its plan (`dr.bkbcs.tencent.com/trigger: cancel`, which cancels the plan's running execution and is
 * then removed). Nothing new starts, running Jobs are deleted, pending work is Skipped, phase Cancelled,
 * the lock released, the history recorded. Cancelling a finished execution changes nothing.
 */
import { Annotations } from '../../shared/api/index.js';
import type { ObjectId } from '../../shared/event-data.js';
import { retryOnConflict } from '../../shared/kube/conflict.js';
import { lockHolder } from '../../shared/execution/lock.js';
import type { Loaded } from '../../shared/execution/objects.js';
import { cancelRequested, isDeleting, isFinished, loadExecution, subjectOf } from '../../shared/execution/objects.js';
import { executionKey, planKey } from '../../shared/keys.js';
import { cancelExecution } from '../../shared/execution/reconcile.js';
import type { CoreDeps, Outcome } from '../../shared/function-deps.js';
import type { KubeObject } from '../../shared/kube/types.js';

export const CANCEL_TRIGGER = 'cancel';

export interface Cancel {
  onExecution(id: ObjectId): Promise<Outcome>;
  onPlan(id: ObjectId): Promise<Outcome>;
}

const wantsCancel = (plan: KubeObject): boolean => plan.metadata.annotations?.[Annotations.trigger] === CANCEL_TRIGGER;

/** Sets the execution's cancel annotation (conditional), unless it is already set or nothing is left to cancel. */
async function requestCancel(deps: CoreDeps, id: ObjectId): Promise<boolean> {
  return retryOnConflict(`execution ${subjectOf(id)}`, async () => {
    const loaded: Loaded | undefined = await loadExecution(deps.kube, id);
    if (loaded === undefined || isFinished(loaded) || isDeleting(loaded)) return false;
    if (cancelRequested(loaded.object)) return true;
    const metadata = { resourceVersion: loaded.object.metadata.resourceVersion, annotations: { [Annotations.cancel]: 'true' } };
    await deps.kube.mergePatch(executionKey(id), { metadata });
    return true;
  });
}

/** Removes the plan's trigger annotation once it has been acted on (conditional: a newer edit is read again). */
async function clearTrigger(deps: CoreDeps, id: ObjectId): Promise<void> {
  await retryOnConflict(`plan ${subjectOf(id)}`, async () => {
    const plan = await deps.kube.get(planKey(id));
    if (plan === undefined || !wantsCancel(plan)) return;
    const metadata = { resourceVersion: plan.metadata.resourceVersion, annotations: { [Annotations.trigger]: null } };
    await deps.kube.mergePatch(planKey(id), { metadata });
  });
}

async function cancelPlan(deps: CoreDeps, id: ObjectId): Promise<Outcome> {
  const plan = await deps.kube.get(planKey(id));
  if (plan === undefined || !wantsCancel(plan)) return [];
  const holder = lockHolder(plan);
  let replies: Outcome = [];
  if (holder === undefined) {
    deps.log.info({ plan: id.name }, 'cancel requested on a plan with no running execution');
  } else {
    const execution = { name: holder.name, namespace: holder.namespace ?? id.namespace };
    if (await requestCancel(deps, execution)) replies = await cancelExecution(deps, execution);
  }
  await clearTrigger(deps, id);
  return replies;
}

export function createCancel(deps: CoreDeps): Cancel {
  return {
    onExecution: (id) => cancelExecution(deps, id),
    onPlan: (id) => cancelPlan({ ...deps, log: deps.log.child({ plan: id.name, namespace: id.namespace }) }, id),
  };
}
