/**
 * What validate-workflow should do with one DRWorkflow, decided from the object and the plans that
 * exist — pure, so `reconcile` (which then writes) and `resync` (which only asks "is anything stale?")
 * decide the same way.
 */
import { DRWorkflowStatusSchema, Finalizers, type DRWorkflowStatus, type NamespacedRef } from '../../shared/api/index.js';
import { ConditionTypes, problemsMessage, sameConditions, setCondition, type ConditionInput } from '../../shared/conditions.js';
import { validateWorkflow } from '../../shared/engine/validate-workflow.js';
import type { WorkflowValidated } from '../../shared/event-data.js';
import type { KubeObject } from '../../shared/kube/types.js';
import { plansHolding } from '../../shared/plan-references.js';
import { mayUse } from '../../shared/cross-namespace.js';
import { type NamespacedName, nameOf, namespacedName } from '../../shared/keys.js';

export const WorkflowReasons = {
  valid: 'Valid',
  invalid: 'Invalid',
  /** Deletion requested while plans still reference the workflow. */
  inUse: 'InUse',
} as const;

type WorkflowPhase = WorkflowValidated['phase'];

/** The part of the status validate-workflow owns. */
export interface WorkflowStatusUpdate {
  phase: WorkflowPhase;
  observedGeneration?: number;
  conditions: NonNullable<DRWorkflowStatus['conditions']>;
  referencedBy: NamespacedRef[];
}

export interface WorkflowDecision {
  /** The status to write; undefined when the current one already says the same (timestamps aside). */
  status?: WorkflowStatusUpdate;
  /** The whole new `metadata.finalizers` list; undefined when the protection finalizer is right. */
  finalizers?: string[];
  /** The `workflow.validated` data, when the phase or the validated generation changes. */
  validated?: WorkflowValidated;
}

/** The status as stored, or an empty one when absent or malformed (it is then rewritten whole). */
export function readWorkflowStatus(workflow: KubeObject): DRWorkflowStatus {
  const parsed = DRWorkflowStatusSchema.safeParse(workflow.status ?? {});
  return parsed.success ? parsed.data : {};
}

const planLabel = (plan: NamespacedName): string => `DRPlan ${namespacedName(plan)}`;

function readyCondition(workflow: KubeObject, holders: readonly NamespacedName[]): { phase: WorkflowPhase; condition: ConditionInput } {
  // Only metadata and spec are validated: a status (ours or anyone's) is never the user's mistake.
  const { problems, warnings } = validateWorkflow({ ...workflow, status: undefined });
  const phase: WorkflowPhase = problems.length > 0 ? 'Invalid' : 'Ready';
  const observedGeneration = workflow.metadata.generation;
  const base = { type: ConditionTypes.ready, status: 'False', observedGeneration } as const;
  if (workflow.metadata.deletionTimestamp !== undefined) {
    const message = `held by ${holders.map(planLabel).join(', ')}: deletion waits until no DRPlan references this workflow`;
    return { phase, condition: { ...base, reason: WorkflowReasons.inUse, message } };
  }
  if (phase === 'Invalid') {
    return { phase, condition: { ...base, reason: WorkflowReasons.invalid, message: problemsMessage(problems, warnings, '') } };
  }
  const message = warnings.length === 0 ? 'valid' : `valid; ${problemsMessage([], warnings, '')}`;
  return { phase, condition: { ...base, status: 'True', reason: WorkflowReasons.valid, message } };
}

function desiredStatus(workflow: KubeObject, current: DRWorkflowStatus, holders: readonly NamespacedName[], now: Date): WorkflowStatusUpdate {
  const { phase, condition } = readyCondition(workflow, holders);
  const status: WorkflowStatusUpdate = {
    phase,
    conditions: setCondition(current.conditions, condition, now),
    referencedBy: holders.map(({ name, namespace }) => ({ name, namespace })),
  };
  if (workflow.metadata.generation !== undefined) status.observedGeneration = workflow.metadata.generation;
  return status;
}

const refsKey = (refs: readonly NamespacedRef[] | undefined): string => (refs ?? []).map(({ name, namespace }) => `${namespace ?? ''}/${name}`).join(',');

function sameStatus(current: DRWorkflowStatus, desired: WorkflowStatusUpdate): boolean {
  return (
    current.phase === desired.phase &&
    current.observedGeneration === desired.observedGeneration &&
    refsKey(current.referencedBy) === refsKey(desired.referencedBy) &&
    sameConditions(current.conditions, desired.conditions)
  );
}

/**
 * The protection finalizer is present while some plan holds the workflow and absent otherwise. It is
 * never added to an object being deleted (the API server refuses new finalizers then).
 */
function finalizerChange(workflow: KubeObject, held: boolean): string[] | undefined {
  const finalizers = workflow.metadata.finalizers ?? [];
  const present = finalizers.includes(Finalizers.workflowProtection);
  const deleting = workflow.metadata.deletionTimestamp !== undefined;
  if (held && !present && !deleting) return [...finalizers, Finalizers.workflowProtection];
  if (!held && present) return finalizers.filter((finalizer) => finalizer !== Finalizers.workflowProtection);
  return undefined;
}

/** Decides the status, the finalizer and the reply for a workflow, given every DRPlan there is. */
export function decideWorkflow(workflow: KubeObject, plans: readonly KubeObject[], now: Date): WorkflowDecision {
  const id = nameOf(workflow);
  // A plan of a namespace the workflow does not share itself with holds nothing of it (and is Invalid).
  const holders = plansHolding(
    plans.filter((plan) => mayUse(workflow, plan.metadata.namespace ?? 'default')),
    id,
  );
  const finalizers = finalizerChange(workflow, holders.length > 0);
  // Being deleted and held by nobody: let it go; a status written now would be thrown away.
  if (workflow.metadata.deletionTimestamp !== undefined && holders.length === 0) return { finalizers };
  const current = readWorkflowStatus(workflow);
  const desired = desiredStatus(workflow, current, holders, now);
  if (sameStatus(current, desired)) return { finalizers };
  const moved = current.phase !== desired.phase || current.observedGeneration !== desired.observedGeneration;
  const validated: WorkflowValidated | undefined = moved ? { workflow: id, phase: desired.phase, generation: desired.observedGeneration } : undefined;
  return { status: desired, finalizers, validated };
}
