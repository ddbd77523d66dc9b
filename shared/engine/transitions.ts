/**
 * The Kubernetes Event reasons recorded on a DRPlanExecution, one per kind of transition.
 * Failures are `Warning`, everything else `Normal`.
 */
export const EventReasons = {
  ExecutionStarted: 'ExecutionStarted',
  ExecutionSucceeded: 'ExecutionSucceeded',
  ExecutionFailed: 'ExecutionFailed',
  ExecutionCancelled: 'ExecutionCancelled',
  StageStarted: 'StageStarted',
  StageSucceeded: 'StageSucceeded',
  StageFailed: 'StageFailed',
  WorkflowStarted: 'WorkflowStarted',
  WorkflowSucceeded: 'WorkflowSucceeded',
  WorkflowFailed: 'WorkflowFailed',
  ActionStarted: 'ActionStarted',
  ActionSucceeded: 'ActionSucceeded',
  ActionFailed: 'ActionFailed',
  ActionRetrying: 'ActionRetrying',
  RevertStarted: 'RevertStarted',
  RevertSucceeded: 'RevertSucceeded',
  RevertFailed: 'RevertFailed',
  ObjectiveMissed: 'ObjectiveMissed',
  ExecutionPaused: 'ExecutionPaused',
  ExecutionResumed: 'ExecutionResumed',
  ActionSkipped: 'ActionSkipped',
} as const;
export type EventReason = (typeof EventReasons)[keyof typeof EventReasons];

export const KubeEventTypes = { Normal: 'Normal', Warning: 'Warning' } as const;
export type KubeEventType = (typeof KubeEventTypes)[keyof typeof KubeEventTypes];

/** A Kubernetes Event to record for a transition; `path` names the stage, workflow or action it concerns. */
export interface TransitionEvent {
  reason: EventReason;
  type: KubeEventType;
  message: string;
  path?: string;
}

export function normalEvent(reason: EventReason, message: string, path?: string): TransitionEvent {
  return path === undefined ? { reason, type: 'Normal', message } : { reason, type: 'Normal', message, path };
}

export function warningEvent(reason: EventReason, message: string, path?: string): TransitionEvent {
  return path === undefined ? { reason, type: 'Warning', message } : { reason, type: 'Warning', message, path };
}
