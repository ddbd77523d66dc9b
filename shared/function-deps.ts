/**
 * What every function core receives (STYLE: thin handle, pure core, dependencies injected as one
 * parameter) and what it returns. Cores never read the environment, the clock or the network directly.
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
}

/** A CloudEvent to reply with (re-injected into the broker); `undefined` from a core means 204, no reply. */
export interface Reply {
  type: EventType;
  /** e.g. `default/my-execution` */
  subject: string;
  data: Record<string, unknown>;
  /** Lowercase alphanumeric names only (see `Extensions` in events.ts). */
  extensions?: Record<string, string>;
}

export type Outcome = Reply | undefined;
