/**
 * The data of our own CloudEvents, as zod schemas: replies are built from these types and every
 * consumer parses with them, so a malformed event is a 400 that names the field (never a crash loop).
 */
import { z } from 'zod';
import { FinalPhaseSchema } from './api/execution.js';
import { OperationTypeSchema } from './api/plan.js';

export const ObjectIdSchema = z.strictObject({
  name: z.string().min(1),
  namespace: z.string().min(1),
});
export type ObjectId = z.infer<typeof ObjectIdSchema>;

export const ExecutionIdSchema = ObjectIdSchema.extend({ uid: z.string().min(1) });
export type ExecutionId = z.infer<typeof ExecutionIdSchema>;

/** `com.tencent.bkbcs.dr.action.requested`: run attempt `attempt` of the action at `path`. */
export const ActionRequestedSchema = z.strictObject({
  execution: ExecutionIdSchema,
  operationType: OperationTypeSchema,
  path: z.string().min(1),
  attempt: z.number().int().min(1),
});
export type ActionRequested = z.infer<typeof ActionRequestedSchema>;

/** `com.tencent.bkbcs.dr.action.finished`: an attempt ended (or was found already ended). */
export const ActionFinishedSchema = z.strictObject({
  execution: ExecutionIdSchema,
  operationType: OperationTypeSchema,
  path: z.string().min(1),
  attempt: z.number().int().min(1),
  phase: z.enum(['Succeeded', 'Failed', 'Pending', 'Skipped']),
});
export type ActionFinished = z.infer<typeof ActionFinishedSchema>;

/** `com.tencent.bkbcs.dr.workflow.validated` */
export const WorkflowValidatedSchema = z.strictObject({
  workflow: ObjectIdSchema,
  phase: z.enum(['Ready', 'Invalid']),
  generation: z.number().int().optional(),
});
export type WorkflowValidated = z.infer<typeof WorkflowValidatedSchema>;

/** `com.tencent.bkbcs.dr.plan.validated` */
export const PlanValidatedSchema = z.strictObject({
  plan: ObjectIdSchema,
  phase: z.enum(['Ready', 'Executed', 'Invalid']),
  generation: z.number().int().optional(),
});
export type PlanValidated = z.infer<typeof PlanValidatedSchema>;

/** `com.tencent.bkbcs.dr.execution.finished` */
export const ExecutionFinishedSchema = z.strictObject({
  execution: ExecutionIdSchema,
  plan: z.string().min(1),
  operationType: OperationTypeSchema,
  phase: FinalPhaseSchema,
  message: z.string().optional(),
});
export type ExecutionFinished = z.infer<typeof ExecutionFinishedSchema>;

/** An action that failed for good (its retries used up, or a failure no retry can fix): what a person needs to act. */
export const ActionFailedSchema = z.strictObject({
  execution: ExecutionIdSchema,
  plan: z.string().min(1),
  operationType: OperationTypeSchema,
  /** `stage/workflowIndex/action`, as drplan status shows it. */
  path: z.string().min(1),
  message: z.string(),
});
export type ActionFailed = z.infer<typeof ActionFailedSchema>;

/** An execution paused or resumed (the annotation dr.bkbcs.tencent.com/pause). */
export const ExecutionPausedSchema = z.strictObject({
  execution: ExecutionIdSchema,
  plan: z.string().min(1),
  operationType: OperationTypeSchema,
  message: z.string(),
});
export type ExecutionPaused = z.infer<typeof ExecutionPausedSchema>;
