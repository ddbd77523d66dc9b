/** DRPlan: what to fail over and in which order — stages of workflow references with parameters. */
import { byName, RULES_KEY } from './rules.js';
import { z } from 'zod';
import {
  ConditionsSchema,
  dateTime,
  int32,
  int64,
  LIMITS,
  NamespacedRefSchema,
  ObjectivesSchema,
  ObjectMetaSchema,
  ParameterSchema,
  ServiceAccountNameSchema,
} from './common.js';
import { HISTORY_LIMIT } from './constants.js';

export const PlanFailurePolicySchema = z.enum(['Stop', 'Continue']);
export const StageFailurePolicySchema = z.enum(['Stop', 'Continue', 'FailFast']);
export type StageFailurePolicy = z.infer<typeof StageFailurePolicySchema>;

export const WorkflowReferenceSchema = z
  .strictObject({
    workflowRef: NamespacedRefSchema.describe('WorkflowRef is the workflow reference (name + namespace)'),
    params: z.array(ParameterSchema).max(LIMITS.parameters).optional().describe('Params are parameters that override globalParams'),
  })
  .describe('WorkflowReference defines a workflow reference with parameters');
export type WorkflowReference = z.infer<typeof WorkflowReferenceSchema>;

export const StageSchema = z
  .strictObject({
    name: z.string().min(1).max(63).describe('Name is the unique stage name'),
    description: z.string().optional().describe('Description is the stage description'),
    dependsOn: z.array(z.string().max(63)).max(LIMITS.dependsOn).optional().describe('DependsOn lists stage names this stage depends on'),
    parallel: z.boolean().default(false).describe('Parallel indicates whether to execute all workflows in this stage in parallel'),
    failurePolicy: StageFailurePolicySchema.optional().describe(
      "FailurePolicy is the stage-level failure policy (default: FailFast when parallel, else the plan's)",
    ),
    workflows: z.array(WorkflowReferenceSchema).min(1).max(LIMITS.workflowsPerStage).describe('Workflows are the workflow reference list'),
  })
  .describe('Stage defines a stage in the plan orchestration');
export type Stage = z.infer<typeof StageSchema>;

export const DRPlanSpecSchema = z
  .strictObject({
    description: z.string().optional().describe('Description is the plan description'),
    failurePolicy: PlanFailurePolicySchema.default('Stop').describe('FailurePolicy defines how to handle failures'),
    globalParams: z
      .array(ParameterSchema)
      .max(LIMITS.parameters)
      .meta(byName)
      .optional()
      .describe('GlobalParams are global parameters passed to all workflows'),
    stages: z.array(StageSchema).min(1).max(LIMITS.stages).meta(byName).describe('Stages are the stage orchestration list'),
    executionHistoryLimit: int32()
      .min(1)
      .max(1000)
      .default(HISTORY_LIMIT)
      .describe(
        'ExecutionHistoryLimit is how many finished DRPlanExecutions of this plan are kept (newest first); older ones are deleted once their record is in the plan history. An execution older than that can no longer be reverted',
      ),
    objectives: ObjectivesSchema.optional(),
    serviceAccountName: ServiceAccountNameSchema.optional().describe(
      'ServiceAccountName is the ServiceAccount of the plan\'s namespace whose rights every Kubernetes action of its executions runs with (by impersonation); default: the one the operator configured (DEFAULT_SERVICE_ACCOUNT, normally "default")',
    ),
  })
  .describe('spec defines the desired state of DRPlan')
  .meta({
    [RULES_KEY]: [
      {
        rule: 'self.stages.all(s, !has(s.dependsOn) || s.dependsOn.all(d, self.stages.exists(t, t.name == d)))',
        message: 'dependsOn must name stages of this plan',
        fieldPath: '.stages',
      },
    ],
  });
export type DRPlanSpec = z.infer<typeof DRPlanSpecSchema>;

export const OperationTypeSchema = z.enum(['Execute', 'Revert']);
export type OperationType = z.infer<typeof OperationTypeSchema>;

export const ExecutionRecordSchema = z
  .object({
    name: z.string().describe('Name is the DRPlanExecution name'),
    namespace: z.string().describe('Namespace is the DRPlanExecution namespace'),
    operationType: z.string().describe('OperationType is the operation type: Execute, Revert'),
    phase: z.string().optional().describe('Phase is the execution phase'),
    startTime: dateTime().optional().describe('StartTime is the execution start time'),
    completionTime: dateTime().optional().describe('CompletionTime is the execution completion time'),
  })
  .describe('ExecutionRecord records a historical execution reference');
export type ExecutionRecord = z.infer<typeof ExecutionRecordSchema>;

export const PlanPhaseSchema = z.enum(['Ready', 'Executed', 'Invalid']);
export type PlanPhase = z.infer<typeof PlanPhaseSchema>;

export const DRPlanStatusSchema = z
  .object({
    conditions: ConditionsSchema.optional().describe('Conditions represent the current state of the DRPlan resource'),
    currentExecution: NamespacedRefSchema.optional().describe('CurrentExecution is the currently running execution (the plan lock)'),
    executionHistory: z.array(ExecutionRecordSchema).max(10).optional().describe('ExecutionHistory keeps recent executions (max 10, newest first)'),
    lastExecutionRef: z.string().optional().describe('LastExecutionRef is the last execution record name'),
    lastExecutionTime: dateTime().optional().describe('LastExecutionTime is the last execution time'),
    lastDryRun: z
      .object({
        name: z.string().describe('Name of the dry run (a DRPlanExecution with spec.dryRun)'),
        phase: z.string().describe('Phase it ended in: Succeeded when every action would succeed'),
        completionTime: dateTime().optional().describe('CompletionTime is when it ended'),
      })
      .optional()
      .describe("LastDryRun is the plan's latest finished dry run (dry runs are not in executionHistory)"),
    lastProcessedTrigger: z.string().optional().describe('LastProcessedTrigger is DEPRECATED and no longer used'),
    observedGeneration: int64().optional().describe('ObservedGeneration reflects the generation observed by the controller'),
    phase: PlanPhaseSchema.optional().describe('Phase is the plan phase: Ready, Executed, Invalid'),
    stageCount: z.number().int().min(0).optional().describe('StageCount is the number of stages (a printer column cannot count a list)'),
  })
  .describe('status defines the observed state of DRPlan');
export type DRPlanStatus = z.infer<typeof DRPlanStatusSchema>;

export const DRPlanSchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  spec: DRPlanSpecSchema,
  status: DRPlanStatusSchema.optional(),
});
export type DRPlan = z.infer<typeof DRPlanSchema>;
