/**
 * Optimistic concurrency, the one retry loop of every writer: each write names the resourceVersion it
 * was decided from, so a 409 means someone else moved first, and the step is run again from a fresh
 * read — a few times, then the handler answers 409 and the broker redelivers the event later.
 */
import { conflict, HandlerError, isConflict, isNotFound, toHandlerError } from '../errors.js';
import type { KubeObject } from './types.js';

export const CONFLICT_ATTEMPTS = 20;

/** The longest pause between two rounds. */
export const MAX_CONFLICT_PAUSE_MS = 250;

/**
 * A growing, jittered pause between rounds (exponential, full jitter: up to 5 ms, 10 ms, 20 ms, … at
 * most 250 ms), so that writers racing for one object spread out instead of colliding in lockstep
 * round after round.
 */
export function conflictPause(round: number): Promise<void> {
  const ms = Math.random() * Math.min(MAX_CONFLICT_PAUSE_MS, 5 * 2 ** round);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface RetryOptions {
  /** Rounds before giving up with `conflict` (default CONFLICT_ATTEMPTS). */
  attempts?: number | undefined;
}

/**
 * Runs `step` (which must read what it decides from) until it does not end in a 409. A HandlerError is
 * never retried here: it is an inner step's final answer. After the last round, `conflict` names `what`.
 */
export async function retryOnConflict<T>(what: string, step: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? CONFLICT_ATTEMPTS;
  let last: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await step();
    } catch (error: unknown) {
      if (error instanceof HandlerError || !isConflict(error)) throw error;
      last = error;
      if (attempt < attempts) await conflictPause(attempt);
    }
  }
  throw conflict(`${what}: changed by someone else on each of ${attempts} tries`, last);
}

/**
 * A write made conditional on the resourceVersion that was read: the object as written, or undefined
 * when it vanished in between (nothing left to decide about). A 409 is thrown on for `retryOnConflict`
 * to read and decide again; any other failure becomes a HandlerError naming `what`.
 */
export async function writeUnlessGone(write: () => Promise<KubeObject>, what: string): Promise<KubeObject | undefined> {
  try {
    return await write();
  } catch (error: unknown) {
    if (isConflict(error)) throw error;
    if (isNotFound(error)) return undefined;
    throw toHandlerError(error, what);
  }
}
