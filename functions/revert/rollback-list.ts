/**
 * What a Revert runs: the rollback list of its target (what succeeded, in reverse order of completion),
 * leaving out what earlier Reverts of the same target already rolled back, as a one-stage plan.
 */
import type { ResolvedPlan } from '../../shared/api/index.js';
import { API_VERSION, Kinds, Labels } from '../../shared/api/index.js';
import { planRollback, rolledBackPaths } from '../../shared/engine/rollback.js';
import { revertPlan } from '../../shared/engine/revert-plan.js';
import type { Loaded } from '../../shared/execution/objects.js';
import { toLoaded } from '../../shared/execution/objects.js';
import type { Kube } from '../../shared/kube/types.js';

export type RollbackList = { ok: true; resolved: ResolvedPlan } | { ok: false; message: string };

/** Paths other Reverts of the same target rolled back successfully. */
async function alreadyRolledBack(kube: Kube, revert: Loaded, target: Loaded): Promise<Set<string>> {
  const reverts = await kube.list(API_VERSION, Kinds.execution, { namespace: revert.id.namespace, labelSelector: `${Labels.operation}=revert` });
  const earlier = reverts
    .map(toLoaded)
    .filter(({ id, execution }) => id.name !== revert.id.name && execution.spec.operationType === 'Revert')
    .filter(({ execution }) => execution.spec.planRef === revert.execution.spec.planRef && execution.spec.revertExecutionRef === target.id.name);
  return rolledBackPaths(earlier.map(({ execution }) => execution.status ?? {}));
}

/** The revert plan for a target that `checkRevertTarget` accepted (it has a frozen plan). */
export async function buildRollback(kube: Kube, revert: Loaded, target: Loaded): Promise<RollbackList> {
  const status = target.execution.status ?? {};
  const resolved = status.resolved;
  if (resolved === undefined) return { ok: false, message: `spec.revertExecutionRef: execution "${target.id.name}" has no frozen plan` };
  const steps = planRollback({ target: { resolved, status }, alreadyRolledBack: await alreadyRolledBack(kube, revert, target) });
  try {
    const plan = revertPlan(steps, target.id, resolved);
    // A Revert acts as its own override, else as the execution it undoes did; it is measured against the same objectives.
    const serviceAccountName = revert.execution.spec.serviceAccountName ?? resolved.serviceAccountName;
    const { objectives } = resolved;
    return {
      ok: true,
      resolved: { ...plan, ...(serviceAccountName === undefined ? {} : { serviceAccountName }), ...(objectives === undefined ? {} : { objectives }) },
    };
  } catch (error: unknown) {
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, message: `spec.revertExecutionRef: the rollback of execution "${target.id.name}" cannot be built: ${detail}` };
  }
}
