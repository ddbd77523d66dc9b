/**
 * The CloudEvent catalog: every event type the functions emit or consume, in one place.
 * Our own types are reverse-DNS facts in the past tense. Extension attribute names are lowercase
 * alphanumerics only (the CloudEvents spec; the SDK throws otherwise).
 */
const PREFIX = 'com.tencent.bkbcs.dr';

export const EventTypes = {
  actionRequested: `${PREFIX}.action.requested`,
  actionFinished: `${PREFIX}.action.finished`,
  workflowValidated: `${PREFIX}.workflow.validated`,
  planValidated: `${PREFIX}.plan.validated`,
  executionFinished: `${PREFIX}.execution.finished`,
  /** Notifications (no function consumes them; a team's Trigger sends them to its sink): */
  actionFailed: `${PREFIX}.action.failed`,
  executionPaused: `${PREFIX}.execution.paused`,
  executionResumed: `${PREFIX}.execution.resumed`,
} as const;
export type EventType = (typeof EventTypes)[keyof typeof EventTypes];

/** What Knative's ApiServerSource (mode: Resource) emits, and the PingSource resync tick. */
export const SourceEventTypes = {
  add: 'dev.knative.apiserver.resource.add',
  update: 'dev.knative.apiserver.resource.update',
  delete: 'dev.knative.apiserver.resource.delete',
  ping: 'dev.knative.sources.ping',
} as const;
export type SourceEventType = (typeof SourceEventTypes)[keyof typeof SourceEventTypes];

/** Extension attributes we set on our own events. */
export const Extensions = {
  execution: 'execution',
  operationType: 'operationtype',
  partitionKey: 'partitionkey',
} as const;

/**
 * Event types nobody needs to subscribe to: the end of a chain. `plan.validated` is a fact for
 * observers (the event log, `drplan events`); no function waits on a plan's validation.
 */
export const TerminalEventTypes: readonly EventType[] = [
  EventTypes.executionFinished,
  EventTypes.planValidated,
  // notifications: for a team's Trigger to its sink (knative/notifications/), no function's
  EventTypes.actionFailed,
  EventTypes.executionPaused,
  EventTypes.executionResumed,
];

export const EVENT_SOURCE = '/drplan-functions';

const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;
export function isValidExtensionName(name: string): boolean {
  return EXTENSION_NAME.test(name);
}
