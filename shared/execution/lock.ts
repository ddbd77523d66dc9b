/**
 * The plan lock: `status.currentExecution` on the DRPlan names the execution that runs it. It is taken
 * with a conditional status write (the plan's resourceVersion), so of two executions that try at once
 * exactly one succeeds; the other re-reads and finds the lock taken. A lock left by an execution that
 * finished or disappeared (a crash between its finish and its bookkeeping) is stale and taken over.
 */
import type { NamespacedRef } from '../api/index.js';
import { NamespacedRefSchema } from '../api/index.js';
import type { ObjectId } from '../event-data.js';
import type { Kube, KubeObject } from '../kube/types.js';
import { retryOnConflict } from '../kube/conflict.js';
import type { Loaded } from './objects.js';
import { loadExecution, isDeleting, isFinished, planIdOf } from './objects.js';
import { planKey } from '../keys.js';
import { isRecord } from '../type-utils.js';

export type LockOutcome = { held: true } | { held: false; message: string };

/** The execution named by the plan's lock, if any. */
export function lockHolder(plan: KubeObject): NamespacedRef | undefined {
  const status = isRecord(plan.status) ? plan.status : {};
  const parsed = NamespacedRefSchema.safeParse(status.currentExecution);
  return parsed.success ? parsed.data : undefined;
}

/** A holder that still runs: it exists, is not being deleted, and has not finished. */
async function stillRunning(kube: Kube, holder: ObjectId): Promise<boolean> {
  const loaded = await loadExecution(kube, holder);
  return loaded !== undefined && !isDeleting(loaded) && !isFinished(loaded);
}

async function tryLock(kube: Kube, loaded: Loaded): Promise<LockOutcome> {
  const planId = planIdOf(loaded);
  const plan = await kube.get(planKey(planId));
  if (plan === undefined) return { held: false, message: `spec.planRef: plan "${planId.name}" not found in namespace "${planId.namespace}"` };
  const holder = lockHolder(plan);
  if (holder?.name === loaded.id.name && (holder.namespace ?? planId.namespace) === loaded.id.namespace) return { held: true };
  if (holder !== undefined) {
    const other = { name: holder.name, namespace: holder.namespace ?? planId.namespace };
    if (await stillRunning(kube, other)) return { held: false, message: `plan "${planId.name}" is already running execution "${other.name}"` };
  }
  const status = { currentExecution: { name: loaded.id.name, namespace: loaded.id.namespace } };
  await kube.mergePatchStatus(planKey(planId), { metadata: { resourceVersion: plan.metadata.resourceVersion }, status });
  return { held: true };
}

/** Takes the lock of the execution's plan for it, or says who holds it. */
export async function takeLock(kube: Kube, loaded: Loaded): Promise<LockOutcome> {
  return retryOnConflict(`lock of plan ${loaded.id.namespace}/${loaded.execution.spec.planRef}`, () => tryLock(kube, loaded));
}
