/**
 * The original controller's mutating-webhook defaults. Everything a schema can express is a zod/CRD
 * default (applied by parsing, and by the API server); `withDefaults` adds the rest — the defaults that
 * depend on other fields — and is what every reader of a spec calls.
 */
import type { DRPlan, DRPlanSpec, DRWorkflow, DRWorkflowSpec, Stage } from '../api/index.js';
import { DRPlanSpecSchema, DRWorkflowSpecSchema } from '../api/index.js';

/** Stage failure policy: `FailFast` when the stage is parallel, otherwise the plan's policy. */
export function stageFailurePolicy(stage: Stage, plan: DRPlanSpec): NonNullable<Stage['failurePolicy']> {
  return stage.failurePolicy ?? (stage.parallel ? 'FailFast' : plan.failurePolicy);
}

export function withPlanDefaults(spec: DRPlanSpec, namespace: string): DRPlanSpec {
  return {
    ...spec,
    stages: spec.stages.map((stage) => ({
      ...stage,
      failurePolicy: stageFailurePolicy(stage, spec),
      workflows: stage.workflows.map((ref) => ({
        ...ref,
        workflowRef: { ...ref.workflowRef, namespace: ref.workflowRef.namespace ?? namespace },
      })),
    })),
  };
}

/** A parsed object with every default applied: schema defaults (re-parsed) and the dependent ones. */
export function withDefaults<T extends DRPlan | DRWorkflow>(object: T): T {
  if ('stages' in object.spec) {
    const plan = object as DRPlan;
    const spec = withPlanDefaults(DRPlanSpecSchema.parse(plan.spec), plan.metadata.namespace ?? 'default');
    return { ...object, spec };
  }
  const spec: DRWorkflowSpec = DRWorkflowSpecSchema.parse(object.spec);
  return { ...object, spec };
}
