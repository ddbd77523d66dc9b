/** Kubernetes Events about an execution: one per transition the engine reports. */
import { API_VERSION, Kinds } from '../api/index.js';
import type { ObjectMeta } from '../api/common.js';
import type { TransitionEvent } from '../engine/transitions.js';
import type { CoreDeps, Logger } from '../function-deps.js';

/**
 * Records each event on the execution whose metadata is `metadata`. Events are best effort, as in
 * Kubernetes itself: a failure is logged (on `log`, the deps' logger by default) and the status (the
 * durable record) stays the source of truth.
 */
export async function recordEvents(deps: CoreDeps, metadata: ObjectMeta, events: readonly TransitionEvent[], log: Logger = deps.log): Promise<void> {
  const regarding = {
    apiVersion: API_VERSION,
    kind: Kinds.execution,
    name: metadata.name ?? '',
    namespace: metadata.namespace ?? 'default',
    uid: metadata.uid,
  };
  for (const event of events) {
    try {
      await deps.kube.recordEvent({ regarding, type: event.type, reason: event.reason, message: event.message });
    } catch (error: unknown) {
      log.warn({ err: error, reason: event.reason }, 'recording a Kubernetes Event failed');
    }
  }
}
