/**
 * DRPlanExecution: one run of a plan (Execute) or of its rollback (Revert). Its status is the durable
 * record: any function, woken by any event, works out what comes next from the status alone.
 */
import { byName, RULES_KEY } from './rules.js';
import { z } from 'zod';
import {
  ConditionsSchema,
  dateTime,
  FREE_FORM,
  LIMITS,
  int32,
  int64,
  NamespacedRefSchema,
  ObjectivesSchema,
  ObjectMetaSchema,
  ObjectReferenceSchema,
  ServiceAccountNameSchema,
} from './common.js';
import { OperationTypeSchema, StageFailurePolicySchema } from './plan.js';
import { ActionSchema, WorkflowFailurePolicySchema } from './workflow.js';

export const ExecutionParamSchema = z
  .strictObject({
    name: z.string().min(1).describe('Name is the parameter name'),
    value: z.string().describe('Value overrides every other source of this parameter'),
  })
  .describe('ExecutionParam sets a parameter for this execution only');
export type ExecutionParam = z.infer<typeof ExecutionParamSchema>;

export const DRPlanExecutionSpecSchema = z
  .strictObject({
    planRef: z.string().min(1).describe('PlanRef is the associated DRPlan name (same namespace)'),
    operationType: OperationTypeSchema.describe('OperationType is the operation type: Execute, Revert'),
    revertExecutionRef: z
      .string()
      .optional()
      .describe('RevertExecutionRef names the Execute execution to revert (required for Revert); it may be Succeeded, Failed or Cancelled'),
    params: z
      .array(ExecutionParamSchema)
      .max(LIMITS.parameters)
      .meta(byName)
      .optional()
      .describe("Params override the plan's parameters for this execution (highest precedence)"),
    serviceAccountName: ServiceAccountNameSchema.optional().describe(
      "ServiceAccountName overrides the plan's ServiceAccount for this execution: its Kubernetes actions run with that account's rights (same namespace)",
    ),
    retryOf: z
      .string()
      .min(1)
      .optional()
      .describe(
        'RetryOf names an earlier Failed or Cancelled Execute of the same plan to continue: its frozen plan is run again, its Succeeded actions are kept (not run again), the rest runs from where it stopped',
      ),
    skip: z
      .array(
        z.strictObject({
          action: z.string().min(1).describe('Action is the path of an action of the retried execution (stage/workflowIndex/action)'),
          reason: z.string().min(1).describe('Reason is why it counts as done: recorded in its status'),
        }),
      )
      .max(LIMITS.parameters)
      .optional()
      .describe("Skip (with retryOf) lists actions that count as done by a person's decision: they are Skipped, with the reason, and never run"),
    dryRun: z
      .boolean()
      .optional()
      .describe(
        "DryRun rehearses the plan without effect: Kubernetes actions are sent as server-side dry runs (dryRun=All, as the plan's ServiceAccount), HTTP actions only as their http.dryRun request; no plan lock, nothing created or changed, not in the plan's history",
      ),
  })
  .describe('spec defines the desired state of DRPlanExecution')
  .meta({
    [RULES_KEY]: [
      {
        rule: "self.operationType != 'Revert' || (has(self.revertExecutionRef) && self.revertExecutionRef != '')",
        message: 'required when operationType is Revert: name the Execute execution to roll back',
        fieldPath: '.revertExecutionRef',
        reason: 'FieldValueRequired',
      },
      { rule: 'self == oldSelf', message: 'is immutable: an execution runs what it was created with (create a new one instead)' },
      { rule: "!has(self.retryOf) || self.operationType == 'Execute'", message: 'only an Execute can continue an earlier execution', fieldPath: '.retryOf' },
      {
        rule: '!has(self.skip) || has(self.retryOf)',
        message: 'skip is for a retry: name the execution to continue in retryOf',
        fieldPath: '.skip',
        reason: 'FieldValueForbidden',
      },
    ],
  });
export type DRPlanExecutionSpec = z.infer<typeof DRPlanExecutionSpecSchema>;

export const ExecutionPhaseSchema = z.enum(['Pending', 'Running', 'Succeeded', 'Failed', 'Cancelled', 'Unknown']);
export type ExecutionPhase = z.infer<typeof ExecutionPhaseSchema>;
/** The phases an execution ends in and never leaves: the one list of them. */
export const FinalPhaseSchema = z.enum(['Succeeded', 'Failed', 'Cancelled']);
export type FinalPhase = z.infer<typeof FinalPhaseSchema>;
const FINAL_PHASES: ReadonlySet<string> = new Set(FinalPhaseSchema.options);
/** Whether an execution in `phase` has finished (unknown and absent phases have not). */
export const isFinalPhase = (phase: string | undefined): phase is FinalPhase => FINAL_PHASES.has(phase ?? '');
export const StagePhaseSchema = z.enum(['Pending', 'Running', 'Succeeded', 'Failed', 'Skipped']);
export type StagePhase = z.infer<typeof StagePhaseSchema>;
export const ActionPhaseSchema = z.enum(['Pending', 'Running', 'Succeeded', 'Failed', 'Skipped', 'Unknown']);
export type ActionPhase = z.infer<typeof ActionPhaseSchema>;

export const SecretSnapshotRefSchema = z
  .strictObject({
    name: z.string().min(1).describe('Name of the Secret'),
    namespace: z.string().min(1).describe('Namespace of the Secret'),
    key: z.string().min(1).describe('Key of the value in the Secret'),
  })
  .describe('SecretSnapshotRef names a value of a Secret in a given namespace');
export type SecretSnapshotRef = z.infer<typeof SecretSnapshotRefSchema>;

export const ActionOutputsSchema = z
  .object({
    httpResponse: z
      .object({
        statusCode: z.number().int().describe('StatusCode is the response status code'),
        body: z.string().optional().describe('Body is the response body (truncated)'),
      })
      .optional()
      .describe('HTTPResponse is the HTTP response summary'),
    jobRef: ObjectReferenceSchema.optional().describe('JobRef is the created Job reference'),
    localizationRef: ObjectReferenceSchema.optional().describe('LocalizationRef is the created Localization reference'),
    subscriptionRef: ObjectReferenceSchema.optional().describe('SubscriptionRef is the created Subscription reference'),
    resourceRef: ObjectReferenceSchema.optional().describe('ResourceRef is the created generic K8s resource reference (KubernetesResource)'),
    createdRefs: z
      .array(ObjectReferenceSchema)
      .optional()
      .describe('CreatedRefs are the objects a Create of a manifest with several documents created, in order (the automatic rollback deletes each)'),
    created: z.boolean().optional().describe('Created is true when this action created the object (automatic rollback deletes only what it created)'),
    priorState: z.string().optional().describe('PriorState is the object as it was before a Patch, Apply or Delete (JSON), for rollback'),
    priorStateRef: SecretSnapshotRefSchema.optional().describe(
      'PriorStateRef is where the prior state of a Secret was kept instead of priorState: a Secret drplan wrote in the same namespace (its data never enters the status)',
    ),
    unsettledAttempt: int32()
      .min(1)
      .optional()
      .describe(
        'UnsettledAttempt is the earlier attempt of an HTTP action whose request got no answer (a timeout, a lost connection): it may have had its effect, so later attempts send its Idempotency-Key until the target answers',
      ),
  })
  .describe('Outputs are the action outputs (used for rollback)');
export type ActionOutputs = z.infer<typeof ActionOutputsSchema>;

export const ActionStatusSchema = z
  .object({
    name: z.string().describe('Name is the action name'),
    phase: ActionPhaseSchema.describe('Phase is the action phase: Pending, Running, Succeeded, Failed, Skipped, Unknown'),
    message: z.string().optional().describe('Message is the status message or error information'),
    attempt: int32().min(0).optional().describe('Attempt is the number of the current (or last) attempt, from 1'),
    retryCount: int32().optional().describe('RetryCount is the number of retries'),
    requestedAt: dateTime().optional().describe('RequestedAt is when the current attempt was requested'),
    nextAttemptAt: dateTime().optional().describe('NextAttemptAt is when the next attempt is due (retry backoff)'),
    lastUpdateTime: dateTime().optional().describe('LastUpdateTime is the last time the running action showed progress'),
    attemptStartTime: dateTime()
      .optional()
      .describe(
        'AttemptStartTime is when the current attempt was claimed, from the second attempt on (the first starts at startTime); its timeout counts from here',
      ),
    redrivenAt: dateTime()
      .optional()
      .describe(
        'RedrivenAt is when the current attempt, silent past its timeout, was requested again with the same identity (its second and last deadline counts from here)',
      ),
    startTime: dateTime().optional().describe('StartTime is the start time'),
    completionTime: dateTime().optional().describe('CompletionTime is the completion time'),
    rollbackOf: z.string().optional().describe('RollbackOf is the path of the action this step rolls back (Revert only)'),
    holder: z
      .string()
      .optional()
      .describe(
        'Holder is the run-action process running the current attempt (<pod>/<boot>), while it runs; a restarted pod resumes what its earlier boot held',
      ),
    outputs: ActionOutputsSchema.optional(),
  })
  .describe('ActionStatus defines the status of an action execution');
export type ActionStatus = z.infer<typeof ActionStatusSchema>;

export const WorkflowExecutionStatusSchema = z
  .object({
    workflowRef: NamespacedRefSchema.describe('WorkflowRef is the workflow reference'),
    phase: StagePhaseSchema.describe('Phase is the workflow phase: Pending, Running, Succeeded, Failed, Skipped'),
    currentAction: z.string().optional().describe('CurrentAction is the currently executing action name'),
    progress: z.string().optional().describe('Progress is the progress information (e.g., "2/5 actions completed")'),
    message: z.string().optional().describe('Message is the status message'),
    startTime: dateTime().optional().describe('StartTime is the start time'),
    completionTime: dateTime().optional().describe('CompletionTime is the completion time'),
    duration: z.string().optional().describe('Duration is the execution duration'),
    actionStatuses: z.array(ActionStatusSchema).optional().describe('ActionStatuses are the detailed action execution statuses'),
  })
  .describe('WorkflowExecutionStatus defines the status of a workflow execution');
export type WorkflowExecutionStatus = z.infer<typeof WorkflowExecutionStatusSchema>;

export const StageStatusSchema = z
  .object({
    name: z.string().describe('Name is the stage name'),
    phase: StagePhaseSchema.describe('Phase is the stage phase: Pending, Running, Succeeded, Failed, Skipped'),
    parallel: z.boolean().optional().describe('Parallel indicates whether this stage executes workflows in parallel'),
    dependsOn: z.array(z.string()).optional().describe('DependsOn lists the stage dependencies'),
    message: z.string().optional().describe('Message is the status message'),
    startTime: dateTime().optional().describe('StartTime is the start time'),
    completionTime: dateTime().optional().describe('CompletionTime is the completion time'),
    duration: z.string().optional().describe('Duration is the execution duration'),
    workflowExecutions: z.array(WorkflowExecutionStatusSchema).optional().describe('WorkflowExecutions are the status of each workflow'),
  })
  .describe('StageStatus defines the status of a stage execution');
export type StageStatus = z.infer<typeof StageStatusSchema>;

const count = () => z.number().int().optional();

export const SummarySchema = z
  .object({
    totalStages: count(),
    completedStages: count(),
    failedStages: count(),
    runningStages: count(),
    pendingStages: count(),
    totalWorkflows: count(),
    completedWorkflows: count(),
    failedWorkflows: count(),
    runningWorkflows: count(),
    pendingWorkflows: count(),
    totalActions: count(),
    completedActions: count(),
    failedActions: count(),
    skippedActions: count(),
  })
  .describe('Summary is the execution statistics summary');
export type Summary = z.infer<typeof SummarySchema>;

/** A workflow of the frozen plan: its resolved parameters and its rendered actions. */
export const ResolvedWorkflowSchema = z.object({
  workflowRef: NamespacedRefSchema,
  failurePolicy: WorkflowFailurePolicySchema,
  params: z.record(z.string(), z.string()).optional().describe('Params are the resolved parameter values'),
  actions: z.array(ActionSchema).meta(FREE_FORM).describe('Actions are the rendered actions, frozen at start'),
});
export type ResolvedWorkflow = z.infer<typeof ResolvedWorkflowSchema>;

export const ResolvedStageSchema = z.object({
  name: z.string(),
  dependsOn: z.array(z.string()).optional(),
  parallel: z.boolean(),
  failurePolicy: StageFailurePolicySchema,
  workflows: z.array(ResolvedWorkflowSchema),
});
export type ResolvedStage = z.infer<typeof ResolvedStageSchema>;

/** One step of a revert: the rollback of one succeeded action of the target execution. */
export const RollbackStepSchema = z.object({
  rollbackOf: z.string().describe('RollbackOf is the path of the target action (stage/workflowIndex/action)'),
  stage: z.string(),
  workflowIndex: z.number().int().min(0),
  workflowRef: NamespacedRefSchema,
  actionName: z.string(),
  mode: z.enum(['Custom', 'Automatic', 'Skip']).describe("Custom runs the action's rollback, Automatic undoes what it created, Skip does nothing"),
  action: z.looseObject({}).meta(FREE_FORM).optional().describe('Action is the rollback action to run (Custom/Automatic)'),
  reason: z.string().optional().describe('Reason explains an Automatic or Skip step (and a Custom step of an action that did not succeed)'),
  effectLeft: z
    .boolean()
    .optional()
    .describe('EffectLeft is true on a Skip step whose action may have had an effect this Revert cannot undo: reported, and the Revert ends Failed'),
});
export type RollbackStep = z.infer<typeof RollbackStepSchema>;

/** What an execution runs, frozen when it starts: editing a workflow never changes it. */
export const ResolvedPlanSchema = z
  .object({
    planGeneration: int64().optional(),
    failurePolicy: z.enum(['Stop', 'Continue']),
    stages: z.array(ResolvedStageSchema).optional().describe('Stages (Execute): the plan with rendered actions'),
    rollbackSteps: z.array(RollbackStepSchema).optional().describe('RollbackSteps (Revert): the rollback list, in order'),
    objectives: ObjectivesSchema.optional().describe(
      "Objectives are the plan's objectives when the execution started (a Revert: those of the execution it undoes)",
    ),
    serviceAccountName: ServiceAccountNameSchema.optional().describe(
      "ServiceAccountName is the ServiceAccount (the execution's namespace) the Kubernetes actions run as, chosen when the execution started; absent: the operator's default",
    ),
  })
  .describe('Resolved is the frozen, rendered plan of this execution');
export type ResolvedPlan = z.infer<typeof ResolvedPlanSchema>;

export const DRPlanExecutionStatusSchema = z
  .object({
    phase: ExecutionPhaseSchema.optional().describe('Phase is the execution phase: Pending, Running, Succeeded, Failed, Cancelled, Unknown'),
    message: z.string().optional().describe('Message is the status message'),
    progress: z.string().optional().describe('Progress is "<done>/<total> actions"'),
    observedGeneration: int64().optional(),
    startTime: dateTime().optional().describe('StartTime is the start time'),
    completionTime: dateTime().optional().describe('CompletionTime is the completion time'),
    lastUpdateTime: dateTime().optional().describe('LastUpdateTime is the last time the execution showed progress'),
    conditions: ConditionsSchema.optional().describe('Conditions represent the current state of the DRPlanExecution resource'),
    stageStatuses: z.array(StageStatusSchema).optional().describe('StageStatuses are the status of each stage'),
    summary: SummarySchema.optional(),
    resolved: ResolvedPlanSchema.optional(),
  })
  .describe('status defines the observed state of DRPlanExecution');
export type DRPlanExecutionStatus = z.infer<typeof DRPlanExecutionStatusSchema>;

export const DRPlanExecutionSchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  spec: DRPlanExecutionSpecSchema,
  status: DRPlanExecutionStatusSchema.optional(),
});
export type DRPlanExecution = z.infer<typeof DRPlanExecutionSchema>;
