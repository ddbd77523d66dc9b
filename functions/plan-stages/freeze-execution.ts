/**
 * What an Execute runs, frozen from the plan and its workflows as the API holds them now. Every check
 * the validators make is made again here (the plan may be newer than its last validation, or not
 * validated yet), so an execution never starts on a plan that cannot run; each refusal names the field.
 */
import type { DRPlan, DRWorkflow, ResolvedPlan } from '../../shared/api/index.js';
import { DRPlanStatusSchema } from '../../shared/api/index.js';
import { findCondition, problemsMessage } from '../../shared/conditions.js';
import type { Problem } from '../../shared/engine/problems.js';
import { freezePlan } from '../../shared/engine/render.js';
import type { WorkflowLookupResult } from '../../shared/engine/validate-plan.js';
import { validatePlan } from '../../shared/engine/validate-plan.js';
import { executionPlanProblems } from '../../shared/engine/validate.js';
import { validateWorkflow } from '../../shared/engine/validate-workflow.js';
import type { Kube, KubeObject } from '../../shared/kube/types.js';
import type { Loaded } from '../../shared/execution/objects.js';
import { planIdOf } from '../../shared/execution/objects.js';
import { planKey, workflowKey } from '../../shared/keys.js';
import { planWorkflowRefs } from '../../shared/plan-references.js';
import { namespacedName } from '../../shared/keys.js';

export type Frozen = { ok: true; resolved: ResolvedPlan } | { ok: false; message: string };

type Workflows = ReadonlyMap<string, WorkflowLookupResult>;

const refused = (message: string): Frozen => ({ ok: false, message });
const listed = (problems: readonly Problem[]): string => problemsMessage(problems, [], 'invalid');

/** A workflow as it is now: validated here, so a verdict older than its last edit never counts. */
function lookupResult(object: KubeObject): WorkflowLookupResult {
  const validation = validateWorkflow(object);
  const result: WorkflowLookupResult = { phase: validation.problems.length > 0 ? 'Invalid' : 'Ready', problems: validation.problems };
  if (validation.workflow !== undefined) result.workflow = validation.workflow;
  return result;
}

/** Every workflow the plan names, read and validated; absent ones are missing from the map. */
async function readWorkflows(kube: Kube, plan: KubeObject): Promise<Workflows> {
  const found = new Map<string, WorkflowLookupResult>();
  for (const ref of planWorkflowRefs(plan)) {
    const object = await kube.get(workflowKey(ref));
    if (object !== undefined) found.set(namespacedName(ref), lookupResult(object));
  }
  return found;
}

/** The plan's own verdict, when it is about the plan as it is now (same generation). */
function invalidByStatus(plan: KubeObject, name: string): string | undefined {
  const status = DRPlanStatusSchema.safeParse(plan.status ?? {});
  if (!status.success || status.data.phase !== 'Invalid') return undefined;
  const observed = status.data.observedGeneration;
  if (observed !== undefined && observed !== plan.metadata.generation) return undefined;
  const reason = findCondition(status.data.conditions, 'Ready')?.message ?? 'see its Ready condition';
  return `spec.planRef: plan "${name}" is Invalid: ${reason}`;
}

function freezeChecked(loaded: Loaded, plan: DRPlan, workflows: Workflows): Frozen {
  const name = loaded.execution.spec.planRef;
  const usable = [...workflows.values()].flatMap((entry): DRWorkflow[] => (entry.workflow === undefined ? [] : [entry.workflow]));
  const params = executionPlanProblems(loaded.execution, plan, usable);
  if (params.length > 0) return refused(listed(params));
  const lookup = (ref: { name: string; namespace: string }): DRWorkflow | undefined => workflows.get(namespacedName(ref))?.workflow;
  const { resolved, problems } = freezePlan({ plan, execution: loaded.execution, workflows: lookup });
  if (problems.length > 0) return refused(`spec.planRef: plan "${name}" cannot be rendered: ${listed(problems)}`);
  return { ok: true, resolved };
}

export async function freezeExecution(kube: Kube, loaded: Loaded): Promise<Frozen> {
  const planId = planIdOf(loaded);
  const plan = await kube.get(planKey(planId));
  if (plan === undefined) return refused(`spec.planRef: plan "${planId.name}" not found in namespace "${planId.namespace}"`);
  const workflows = await readWorkflows(kube, plan);
  const validation = validatePlan(plan, (ref) => workflows.get(namespacedName(ref)));
  if (validation.plan === undefined || validation.problems.length > 0) {
    return refused(`spec.planRef: plan "${planId.name}" is invalid: ${listed(validation.problems)}`);
  }
  const verdict = invalidByStatus(plan, planId.name);
  if (verdict !== undefined) return refused(verdict);
  return freezeChecked(loaded, validation.plan, workflows);
}
