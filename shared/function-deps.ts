/**
 * What every function core receives (thin handle, pure core, dependencies injected as one
 * parameter: docs/contributing.md) and what it returns. Cores never read the environment, the clock or the network directly.
 */
import type { EventType } from './events.js';
import type { Kube } from './kube/types.js';

export interface Clock {
  now(): Date;
}

/** The pino subset cores use: object first, constant message. */
export interface Logger {
  debug(object: Record<string, unknown>, message: string): void;
  info(object: Record<string, unknown>, message: string): void;
  warn(object: Record<string, unknown>, message: string): void;
  error(object: Record<string, unknown>, message: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export interface CoreDeps {
  kube: Kube;
  clock: Clock;
  log: Logger;
  /**
   * RECONCILE_INTERVAL (default 30s): how long a requested attempt may stay unclaimed before the next
   * event or tick requests it again. The resync tick itself comes from the PingSource (ADR 8).
   */
  reconcileIntervalMs?: number;
  /**
   * UNKNOWN_AFTER (default 2m): how long a Running attempt may show no progress before the resync marks
   * it `Unknown` and requests it again; run-action's heartbeat beats well within it.
   */
  unknownAfterMs?: number;
  /**
   * DEFAULT_SERVICE_ACCOUNT (default `default`): the ServiceAccount, in the execution's namespace, whose
   * rights Kubernetes actions run with when neither the plan nor the execution names one (ADR 14).
   */
  defaultServiceAccount?: string;
  /** Sends replies that no incoming event waits for (work a core starts on its own) to the broker. */
  emit?: ((outcome: Outcome) => Promise<void>) | undefined;
}

export const DEFAULT_RECONCILE_INTERVAL_MS = 30_000;

/** A CloudEvent a core wants sent (re-injected into the broker). */
export interface Reply {
  type: EventType;
  /** e.g. `default/my-execution` */
  subject: string;
  data: Record<string, unknown>;
  /** Lowercase alphanumeric names only (see `Extensions` in events.ts). */
  extensions?: Record<string, string>;
}

/** A validator's reply about one object (`subject` is its namespace/name); an unknown generation is left out. */
export function validatedReply(type: EventType, subject: string, data: { generation?: number | undefined } & Record<string, unknown>): Reply {
  const { generation, ...rest } = data;
  return { type, subject, data: generation === undefined ? rest : { ...rest, generation } };
}

/**
 * What a core returns: no events (the function answers 204), one (the reply), or several (the first is
 * the reply; the wiring posts the others to the broker ingress). Losing one of several is safe: the
 * status records what was requested and the resync tick requests it again.
 */
export type Outcome = readonly Reply[];
