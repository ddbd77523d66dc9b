/**
 * Which DRWorkflows a DRPlan references. validate-workflow (which plans hold this workflow?) and
 * validate-plan (which workflows must this plan protect?) must agree exactly, or one would add the
 * workflow-protection finalizer that the other removes. So both read references here, and read them
 * tolerantly from the raw object: a plan the schema rejects (a typo elsewhere) still holds the
 * workflows it names, so fixing the typo never finds a workflow gone.
 */
import type { KubeObject } from './kube/types.js';
import { nameOf, namespacedName, type NamespacedName } from './keys.js';
import { isRecord } from './type-utils.js';

const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? (value as unknown[]) : []);

const nonEmpty = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function refOf(entry: unknown, planNamespace: string): NamespacedName | undefined {
  const workflowRef = isRecord(entry) ? entry.workflowRef : undefined;
  if (!isRecord(workflowRef)) return undefined;
  const name = nonEmpty(workflowRef.name);
  if (name === undefined) return undefined;
  return { name, namespace: nonEmpty(workflowRef.namespace) ?? planNamespace };
}

/** Every workflow the plan's stages name, once each, in order of first mention. */
export function planWorkflowRefs(plan: KubeObject): NamespacedName[] {
  const planNamespace = plan.metadata.namespace ?? 'default';
  const spec = isRecord(plan.spec) ? plan.spec : {};
  const refs = new Map<string, NamespacedName>();
  for (const stage of listOf(spec.stages)) {
    for (const entry of listOf(isRecord(stage) ? stage.workflows : undefined)) {
      const ref = refOf(entry, planNamespace);
      if (ref !== undefined && !refs.has(namespacedName(ref))) refs.set(namespacedName(ref), ref);
    }
  }
  return [...refs.values()];
}

/**
 * True when the plan holds the workflow. A plan that is being deleted holds nothing: it is going away,
 * and a stuck foreign finalizer on it must not pin its workflows too.
 */
export function planHolds(plan: KubeObject, workflow: NamespacedName): boolean {
  if (plan.metadata.deletionTimestamp !== undefined) return false;
  const wanted = namespacedName(workflow);
  return planWorkflowRefs(plan).some((ref) => namespacedName(ref) === wanted);
}

/** The plans among `plans` that hold the workflow, sorted by namespace and name. */
export function plansHolding(plans: readonly KubeObject[], workflow: NamespacedName): NamespacedName[] {
  return plans
    .filter((plan) => planHolds(plan, workflow))
    .map(nameOf)
    .sort((a, b) => (namespacedName(a) < namespacedName(b) ? -1 : namespacedName(a) > namespacedName(b) ? 1 : 0));
}
