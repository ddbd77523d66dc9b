/**
 * A core/v1 Event for `Kube.recordEvent`, shaped as client-go's event recorder writes it, so
 * `kubectl describe drpe <name>` and `kubectl get events` show the transitions.
 */
import { randomBytes } from 'node:crypto';
import { MANAGER } from '../api/constants.js';
import type { KubeEvent } from './types.js';

/** Kubernetes rejects Event messages longer than this. */
const MESSAGE_LIMIT = 1024;

/** The namespace the Event lives in: the object's, or the client's default for a cluster-scoped object. */
export function eventNamespace(event: KubeEvent, fallback: string): string {
  return event.regarding.namespace ?? fallback;
}

/** `<object>.<hex>`: unique per Event, like client-go's `<name>.<unix nanoseconds in hex>`. */
export function eventName(objectName: string, at: Date): string {
  return `${objectName}.${at.getTime().toString(16)}${randomBytes(4).toString('hex')}`;
}

/** RFC 3339 with seconds, the format of metav1.Time. */
const seconds = (at: Date): string => `${at.toISOString().slice(0, 19)}Z`;

export function eventBody(event: KubeEvent, namespace: string, at: Date): Record<string, unknown> {
  const { regarding } = event;
  const timestamp = seconds(at);
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: eventName(regarding.name, at), namespace },
    involvedObject: {
      apiVersion: regarding.apiVersion,
      kind: regarding.kind,
      name: regarding.name,
      namespace: regarding.namespace,
      uid: regarding.uid,
    },
    reason: event.reason,
    message: event.message.length > MESSAGE_LIMIT ? `${event.message.slice(0, MESSAGE_LIMIT - 1)}…` : event.message,
    type: event.type,
    source: { component: MANAGER },
    reportingComponent: MANAGER,
    reportingInstance: process.env.HOSTNAME ?? MANAGER,
    firstTimestamp: timestamp,
    lastTimestamp: timestamp,
    count: 1,
  };
}
