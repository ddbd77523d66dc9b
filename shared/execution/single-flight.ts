/**
 * One reconcile of an object at a time in a process. A reconcile asked for while one of the same object
 * runs waits for it and then runs once — however many were asked for meanwhile — from a fresh read:
 * level-triggered handlers lose nothing by being coalesced, and two reconciles of one execution in one
 * process no longer race each other for its write (one 409 per execution at start, ADR 13).
 */
import type { Outcome } from '../function-deps.js';

interface Slot {
  running: Promise<Outcome>;
  /** The run that follows the current one, shared by everyone who asked meanwhile. */
  next?: Promise<Outcome> | undefined;
}

export class SingleFlight {
  readonly #slots = new Map<string, Slot>();

  /**
   * Runs `work` for `key` now, or after the run in progress. Callers coalesced into a follow-up run that
   * another caller already waits for get `[]`: its replies go out once, with that caller's.
   */
  run(key: string, work: () => Promise<Outcome>): Promise<Outcome> {
    const slot = this.#slots.get(key);
    if (slot === undefined) return this.#start(key, work);
    if (slot.next !== undefined) return slot.next.then(() => []);
    const next = slot.running
      .catch(() => [])
      .then(() => {
        slot.next = undefined;
        return this.#run(key, slot, work);
      });
    slot.next = next;
    return next;
  }

  #start(key: string, work: () => Promise<Outcome>): Promise<Outcome> {
    const slot: Slot = { running: Promise.resolve([]) };
    this.#slots.set(key, slot);
    return this.#run(key, slot, work);
  }

  #run(key: string, slot: Slot, work: () => Promise<Outcome>): Promise<Outcome> {
    const running = work().finally(() => {
      if (slot.next === undefined && this.#slots.get(key) === slot) this.#slots.delete(key);
    });
    slot.running = running;
    return running;
  }
}
