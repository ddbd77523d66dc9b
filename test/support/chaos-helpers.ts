/**
 * Helpers for the end-to-end robustness tests that disturb a running stack: waiting until the
 * eventing has settled, reading what the event log says was not delivered, delivering every event a
 * second time in shuffled order, and reverting an execution so the next one finds the world as the
 * failover example left it.
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import type { KubeObject } from '../../shared/kube/types.js';
import type { LogRecord } from '../../local/eventing/event-log.js';
import { EXAMPLE_DIR, isFinished, ticksPassed, waitForStatus, type E2eEnv } from './e2e-helpers.js';

/** Waits until no delivery is under way and two resync ticks have passed with none under way after them. */
export async function settle(env: E2eEnv): Promise<void> {
  await env.stack.eventing.idle();
  await ticksPassed(env, 2);
}

/** Delivery records after `fromSeq` that did not end `delivered`. */
export const undelivered = (records: readonly LogRecord[], fromSeq: number): LogRecord[] =>
  records.filter((r) => r.seq > fromSeq && ((r.record === 'delivery' && r.outcome !== 'delivered') || r.record === 'sunk' || r.record === 'dropped'));

export const lastSeq = (env: E2eEnv): number => env.stack.eventing.eventLog.records().reduce((max, r) => Math.max(max, r.seq), 0);

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    const [a, b] = [copy[i], copy[j]];
    if (a !== undefined && b !== undefined) [copy[i], copy[j]] = [b, a];
  }
  return copy;
}

/**
 * Delivers every event the broker accepts (from now on) a second time, through the eventing's replay,
 * each batch in shuffled order. `stop` returns how many events were duplicated and the errors met.
 */
export function duplicateEverything(env: E2eEnv): { stop(): Promise<{ duplicated: number; errors: string[] }> } {
  const seen = new Set(env.stack.eventing.eventLog.records().map((r) => r.seq));
  const errors: string[] = [];
  let duplicated = 0;
  const control = { running: true };
  const pass = (): void => {
    const fresh = env.stack.eventing.eventLog.records().filter((r) => !seen.has(r.seq));
    for (const record of fresh) seen.add(record.seq);
    const originals = fresh.flatMap((r) => (r.record === 'accepted' && r.replayOf === undefined && typeof r.event.id === 'string' ? [r.event.id] : []));
    for (const id of shuffled(originals)) {
      try {
        duplicated += env.stack.eventing.replay({ fromId: id, toId: id }).length;
      } catch (error: unknown) {
        errors.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  const loop = (async (): Promise<void> => {
    while (control.running) {
      pass();
      await delay(100);
    }
    pass();
  })();
  return {
    stop: async () => {
      control.running = false;
      await loop;
      return { duplicated, errors };
    },
  };
}

export const renamed = (execution: KubeObject, name: string): KubeObject => ({ ...execution, metadata: { ...execution.metadata, name } });

/** Reverts `name` (so the next Execute finds the world as the example left it) and throws unless the revert Succeeds. */
export async function revert(env: E2eEnv, name: string): Promise<void> {
  const { readExample } = await import('../../local/drill/example.js');
  const template = readExample(EXAMPLE_DIR).revert;
  assert.ok(template !== undefined, 'the example has no Revert execution');
  const spec = { ...(template.spec as Record<string, unknown>), revertExecutionRef: name };
  await env.kube.create({ ...template, metadata: { ...template.metadata, name: `${name}-revert` }, spec });
  const status = await waitForStatus(env, `${name}-revert`, isFinished);
  assert.equal(status.phase, 'Succeeded', `the revert of ${name} ended ${status.phase ?? ''}: ${status.message ?? ''}`);
}
