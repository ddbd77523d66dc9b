/**
 * Optimistic concurrency: every write names the resourceVersion it was decided from, so a 409 means
 * someone else moved first. The step is run again from a fresh read, a few times, then the handler
 * answers 409 and the broker redelivers the event later.
 */
import { conflict, HandlerError, isConflict } from '../errors.js';

export const CONFLICT_ATTEMPTS = 20;

/** The longest pause between two rounds. */
export const MAX_CONFLICT_PAUSE_MS = 250;

/**
 * A growing, jittered pause between rounds (exponential, full jitter: up to 5 ms, 10 ms, 20 ms, … at
 * most 250 ms), so that the writers of parallel workflows racing for one execution spread out instead
 * of colliding in lockstep round after round.
 */
export function conflictPause(round: number): Promise<void> {
  const ms = Math.random() * Math.min(MAX_CONFLICT_PAUSE_MS, 5 * 2 ** round);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `step` (which must read what it decides from) until it does not end in a 409. A HandlerError is
 * never retried here: it is an inner step's final answer.
 */
export async function retryOnConflict<T>(what: string, step: () => Promise<T>): Promise<T> {
  let last: unknown;
  for (let attempt = 1; attempt <= CONFLICT_ATTEMPTS; attempt++) {
    try {
      return await step();
    } catch (error: unknown) {
      if (error instanceof HandlerError || !isConflict(error)) throw error;
      last = error;
      await conflictPause(attempt);
    }
  }
  throw conflict(`${what}: still conflicting after ${CONFLICT_ATTEMPTS} attempts`, last);
}
