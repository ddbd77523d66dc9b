/**
 * What validate-plan should do with one DRPlan, decided from the plan and the workflows it references —
 * pure, so `reconcile` (which then writes) and `resync` (which only asks "is anything stale?") decide
 * the same way.
 */
import { ConditionsSchema, DRWorkflowStatusSchema, Finalizers, PlanPhaseSchema, type Condition, type PlanPhase } from '../../shared/api/index.js';
import { ConditionTypes, problemsMessage, sameConditions, setCondition, type ConditionInput } from '../../shared/conditions.js';
import { validatePlan, type WorkflowLookup, type WorkflowLookupResult } from '../../shared/engine/validate-plan.js';
import { validateWorkflow } from '../../shared/engine/validate-workflow.js';
import type { PlanValidated } from '../../shared/event-data.js';
import type { KubeObject } from '../../shared/kube/types.js';
import { planWorkflowRefs } from '../../shared/plan-references.js';
import { mayUse } from '../../shared/cross-namespace.js';
import { nameOf, namespacedName } from '../../shared/keys.js';
import { isRecord } from '../../shared/type-utils.js';

export const PlanReasons = {
  valid: 'Valid',
  invalid: 'Invalid',
} as const;

/** The part of a plan's status validate-plan owns; plan-stages owns the rest (lock, history, Executed). */
export interface PlanStatusUpdate {
  phase: PlanPhase;
  observedGeneration?: number;
  conditions: Condition[];
  /** For the STAGES printer column. */
  stageCount?: number;
}

export interface PlanDecision {
  /** The status fields to write; undefined when the current ones already say the same (timestamps aside). */
  status?: PlanStatusUpdate;
  /** The `plan.validated` data, when the phase changes. */
  validated?: PlanValidated;
  /** Referenced workflows that exist, are not being deleted, and lack the protection finalizer. */
  unprotected: KubeObject[];
}

/** The referenced workflows that exist, by `namespace/name`. */
export type WorkflowIndex = ReadonlyMap<string, KubeObject>;

/**
 * The fields validate-plan owns, each read on its own: a malformed field of plan-stages' (which this
 * function never rewrites) must not make every reconcile look like a change.
 */
export function readPlanValidation(plan: KubeObject): Partial<PlanStatusUpdate> {
  const status = isRecord(plan.status) ? plan.status : {};
  const phase = PlanPhaseSchema.safeParse(status.phase);
  const conditions = ConditionsSchema.safeParse(status.conditions);
  const generation = status.observedGeneration;
  return {
    phase: phase.success ? phase.data : undefined,
    observedGeneration: typeof generation === 'number' ? generation : undefined,
    conditions: conditions.success ? conditions.data : undefined,
    stageCount: typeof status.stageCount === 'number' ? status.stageCount : undefined,
  };
}

/**
 * A referenced workflow as validatePlan sees it. The phase is the one validate-workflow recorded for
 * the current generation; a workflow it has not validated yet (just created or edited) is validated
 * here, so the plan does not stay Invalid waiting for it. The problems always come from here, to name
 * the first one in the plan's message.
 */
export function lookupResult(object: KubeObject): WorkflowLookupResult {
  const { workflow, problems } = validateWorkflow({ ...object, status: undefined });
  const parsed = DRWorkflowStatusSchema.safeParse(object.status ?? {});
  const status = parsed.success ? parsed.data : {};
  const current = status.phase !== undefined && status.observedGeneration === object.metadata.generation;
  const phase = current ? status.phase : problems.length > 0 ? 'Invalid' : 'Ready';
  return workflow === undefined ? { phase, problems } : { workflow, phase, problems };
}

const lookupIn =
  (workflows: WorkflowIndex): WorkflowLookup =>
  (ref) => {
    const object = workflows.get(namespacedName(ref));
    return object === undefined ? undefined : lookupResult(object);
  };

function desiredStatus(plan: KubeObject, current: Partial<PlanStatusUpdate>, workflows: WorkflowIndex, now: Date): PlanStatusUpdate {
  const { problems } = validatePlan({ ...plan, status: undefined }, lookupIn(workflows));
  const valid = problems.length === 0;
  // plan-stages owns `Executed`; a valid plan keeps it.
  const phase: PlanPhase = valid ? (current.phase === 'Executed' ? 'Executed' : 'Ready') : 'Invalid';
  const observedGeneration = plan.metadata.generation;
  const condition: ConditionInput = valid
    ? { type: ConditionTypes.ready, status: 'True', reason: PlanReasons.valid, message: 'valid', observedGeneration }
    : { type: ConditionTypes.ready, status: 'False', reason: PlanReasons.invalid, message: problemsMessage(problems, [], ''), observedGeneration };
  const status: PlanStatusUpdate = { phase, conditions: setCondition(current.conditions, condition, now) };
  if (observedGeneration !== undefined) status.observedGeneration = observedGeneration;
  const stages = isRecord(plan['spec']) ? plan['spec'].stages : undefined;
  if (Array.isArray(stages)) status.stageCount = stages.length;
  return status;
}

function sameStatus(current: Partial<PlanStatusUpdate>, desired: PlanStatusUpdate): boolean {
  return (
    current.phase === desired.phase &&
    current.observedGeneration === desired.observedGeneration &&
    current.stageCount === desired.stageCount &&
    sameConditions(current.conditions, desired.conditions)
  );
}

function unprotectedWorkflows(plan: KubeObject, workflows: WorkflowIndex): KubeObject[] {
  return planWorkflowRefs(plan)
    .map((ref) => workflows.get(namespacedName(ref)))
    .filter((workflow): workflow is KubeObject => workflow !== undefined)
    .filter((workflow) => mayUse(workflow, plan.metadata.namespace ?? 'default'))
    .filter((workflow) => workflow.metadata.deletionTimestamp === undefined)
    .filter((workflow) => !(workflow.metadata.finalizers ?? []).includes(Finalizers.workflowProtection));
}

/** Decides the status, the reply and the workflows to protect for a plan, given the workflows it references. */
export function decidePlan(plan: KubeObject, workflows: WorkflowIndex, now: Date): PlanDecision {
  // A plan being deleted is going away: nothing to validate, nothing to hold.
  if (plan.metadata.deletionTimestamp !== undefined) return { unprotected: [] };
  const unprotected = unprotectedWorkflows(plan, workflows);
  const current = readPlanValidation(plan);
  const desired = desiredStatus(plan, current, workflows, now);
  if (sameStatus(current, desired)) return { unprotected };
  const validated: PlanValidated | undefined =
    current.phase === desired.phase ? undefined : { plan: nameOf(plan), phase: desired.phase, generation: desired.observedGeneration };
  return { status: desired, validated, unprotected };
}
