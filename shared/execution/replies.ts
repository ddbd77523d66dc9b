/** The CloudEvents the orchestrators reply with: action.requested, execution.finished, and the notifications. */
import type { OperationType } from '../api/index.js';
import type { FinalPhase } from '../engine/scheduler.js';
import type { ActionRequest } from '../engine/schedule-context.js';
import type { ActionFailed, ActionRequested, ExecutionFinished, ExecutionId, ExecutionPaused } from '../event-data.js';
import { EventReasons, type TransitionEvent } from '../engine/transitions.js';
import { EventTypes, Extensions, type EventType } from '../events.js';
import type { Reply } from '../function-deps.js';
import type { Loaded } from './objects.js';
import { subjectOf } from './objects.js';

/** The plan an event names (a schema-rejected execution may have none). */
const planOf = (loaded: Loaded): string => (loaded.execution.spec.planRef === '' ? '(none)' : loaded.execution.spec.planRef);

export const executionIdOf = (loaded: Loaded): ExecutionId => ({ ...loaded.id, uid: loaded.object.metadata.uid ?? '' });

/** `execution`, `operationtype` and `partitionkey` (`<namespace>.<execution>`: one execution's events stay in order). */
export function executionExtensions(loaded: Loaded): Record<string, string> {
  return {
    [Extensions.execution]: loaded.id.name,
    [Extensions.operationType]: loaded.execution.spec.operationType,
    [Extensions.partitionKey]: `${loaded.id.namespace}.${loaded.id.name}`,
  };
}

/**
 * The notifications in a decision's transitions: action.failed for an action that failed for good,
 * execution.paused and execution.resumed. No function consumes them: a team's Trigger sends them to its
 * sink (knative/notifications/).
 */
export function notificationReplies(loaded: Loaded, events: readonly TransitionEvent[]): Reply[] {
  const base = {
    execution: executionIdOf(loaded),
    plan: planOf(loaded),
    operationType: loaded.execution.spec.operationType,
  };
  const reply = (type: EventType, data: ActionFailed | ExecutionPaused): Reply => ({
    type,
    subject: subjectOf(loaded.id),
    data,
    extensions: executionExtensions(loaded),
  });
  return events.flatMap((event): Reply[] => {
    if (event.reason === EventReasons.ActionFailed && event.path !== undefined)
      return [reply(EventTypes.actionFailed, { ...base, path: event.path, message: event.message })];
    if (event.reason === EventReasons.ExecutionPaused) return [reply(EventTypes.executionPaused, { ...base, message: event.message })];
    if (event.reason === EventReasons.ExecutionResumed) return [reply(EventTypes.executionResumed, { ...base, message: event.message })];
    return [];
  });
}

export function actionRequestedReply(loaded: Loaded, request: ActionRequest): Reply {
  const operationType: OperationType = loaded.execution.spec.operationType;
  const data: ActionRequested = { execution: executionIdOf(loaded), operationType, path: request.path, attempt: request.attempt };
  return { type: EventTypes.actionRequested, subject: subjectOf(loaded.id), data, extensions: executionExtensions(loaded) };
}

export function executionFinishedReply(loaded: Loaded, finished: { phase: FinalPhase; message: string }): Reply {
  const data: ExecutionFinished = {
    execution: executionIdOf(loaded),
    plan: planOf(loaded),
    operationType: loaded.execution.spec.operationType,
    phase: finished.phase,
    message: finished.message,
  };
  return { type: EventTypes.executionFinished, subject: subjectOf(loaded.id), data, extensions: executionExtensions(loaded) };
}
