/** Kubernetes Events about an execution: one per transition the engine reports. */
import { API_VERSION, Kinds } from '../api/index.js';
import type { TransitionEvent } from '../engine/transitions.js';
import type { CoreDeps } from '../function-deps.js';
import type { Loaded } from './objects.js';

/**
 * Records each event on the execution. Events are best effort, as in Kubernetes itself: a failure is
 * logged and the status (the durable record) stays the source of truth.
 */
export async function recordEvents(deps: CoreDeps, loaded: Loaded, events: readonly TransitionEvent[]): Promise<void> {
  const regarding = { apiVersion: API_VERSION, kind: Kinds.execution, name: loaded.id.name, namespace: loaded.id.namespace, uid: loaded.object.metadata.uid };
  for (const event of events) {
    try {
      await deps.kube.recordEvent({ regarding, type: event.type, reason: event.reason, message: event.message });
    } catch (error: unknown) {
      deps.log.warn({ err: error, reason: event.reason }, 'recording a Kubernetes Event failed');
    }
  }
}
