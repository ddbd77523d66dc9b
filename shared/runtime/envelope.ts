/**
 * The envelope: an incoming CloudEvent (as faas-js-runtime hands it over) unwrapped into a typed
 * wake-up. ApiServerSource events carry the whole object; the PingSource tick carries nothing we use;
 * our own events carry data parsed with the schemas of shared/event-data.ts. Anything malformed throws
 * `badEvent` naming the field (400: dead letter at once, never a crash loop); an event type that is not
 * ours to handle is reported as `foreign` (204).
 */
import { z } from 'zod';
import { ObjectMetaSchema } from '../api/common.js';
import { badEvent } from '../errors.js';
import {
  ActionFailedSchema,
  ActionFinishedSchema,
  ActionRequestedSchema,
  ExecutionFinishedSchema,
  ExecutionPausedSchema,
  PlanValidatedSchema,
  WorkflowValidatedSchema,
} from '../event-data.js';
import { EventTypes, SourceEventTypes, type EventType } from '../events.js';
import type { KubeObject } from '../kube/types.js';
import { isRecord } from '../type-utils.js';

export type ApiServerAction = 'add' | 'update' | 'delete';

const ApiServerActions: Readonly<Record<string, ApiServerAction>> = {
  [SourceEventTypes.add]: 'add',
  [SourceEventTypes.update]: 'update',
  [SourceEventTypes.delete]: 'delete',
};

/** What an ApiServerSource (mode: Resource) puts in `data`: the object, which must at least say what it is. */
export const ApiServerObjectSchema = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: ObjectMetaSchema.extend({
    name: z.string().min(1),
    namespace: z.string().min(1).optional(),
  }),
});

const DataSchemas = {
  [EventTypes.actionRequested]: ActionRequestedSchema,
  [EventTypes.actionFinished]: ActionFinishedSchema,
  [EventTypes.workflowValidated]: WorkflowValidatedSchema,
  [EventTypes.planValidated]: PlanValidatedSchema,
  [EventTypes.executionFinished]: ExecutionFinishedSchema,
  [EventTypes.actionFailed]: ActionFailedSchema,
  [EventTypes.executionPaused]: ExecutionPausedSchema,
  [EventTypes.executionResumed]: ExecutionPausedSchema,
} as const satisfies Record<EventType, z.ZodType>;

export interface ApiServerWakeUp {
  source: 'apiserver';
  action: ApiServerAction;
  object: KubeObject;
}
export interface TickWakeUp {
  source: 'tick';
}
export type DrplanWakeUp = {
  [T in EventType]: { source: 'drplan'; type: T; data: z.infer<(typeof DataSchemas)[T]> };
}[EventType];
export interface ForeignWakeUp {
  source: 'foreign';
  type: string;
}
export type WakeUp = ApiServerWakeUp | TickWakeUp | DrplanWakeUp | ForeignWakeUp;

/** The CloudEvent attributes the envelope reads; faas-js-runtime's CloudEvent has them as properties. */
export interface IncomingEvent {
  readonly type?: unknown;
  readonly data?: unknown;
  readonly data_base64?: unknown;
  readonly [attribute: string]: unknown;
}

/** `data.metadata.name`, `data.items[0]` */
function fieldOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : `${text}.${String(key)}`), 'data');
}

/** `data.attempt: Too small: expected number to be >=1; data.path: …` (at most three issues). */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${fieldOf(issue.path)}: ${issue.message}`)
    .join('; ');
}

function jsonText(text: string, type: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error: unknown) {
    throw badEvent(`${type}: data is not JSON`, error);
  }
}

/** The event's data as a value: the SDK parses JSON data already; strings, bytes and base64 are decoded here. */
function dataOf(event: IncomingEvent, type: string): unknown {
  const { data } = event;
  if (data instanceof Uint8Array) return jsonText(Buffer.from(data).toString('utf8'), type);
  if (typeof data === 'string') return jsonText(data, type);
  if (data === undefined && typeof event.data_base64 === 'string') return jsonText(Buffer.from(event.data_base64, 'base64').toString('utf8'), type);
  return data;
}

function parseData<S extends z.ZodType>(schema: S, event: IncomingEvent, type: string): z.infer<S> {
  const data = dataOf(event, type);
  if (data === undefined || data === null) throw badEvent(`${type}: data is missing`);
  const result = schema.safeParse(data);
  if (!result.success) throw badEvent(`${type}: ${describeIssues(result.error)}`, result.error);
  return result.data;
}

function isOurType(type: string): type is EventType {
  return Object.hasOwn(DataSchemas, type);
}

/** Unwraps one incoming CloudEvent; throws `badEvent` (400) when it is malformed. */
export function parseEnvelope(event: unknown): WakeUp {
  if (!isRecord(event)) throw badEvent('the request is not a CloudEvent: it has no attributes');
  const incoming: IncomingEvent = event;
  const { type } = incoming;
  if (typeof type !== 'string' || type === '') throw badEvent('the request is not a CloudEvent: type is missing');
  const action = ApiServerActions[type];
  if (action !== undefined) return { source: 'apiserver', action, object: parseData(ApiServerObjectSchema, incoming, type) };
  if (type === SourceEventTypes.ping) return { source: 'tick' };
  if (isOurType(type)) return { source: 'drplan', type, data: parseData(DataSchemas[type], incoming, type) } as DrplanWakeUp;
  return { source: 'foreign', type };
}
