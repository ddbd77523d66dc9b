import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { SingleFlight } from '../../../../shared/execution/single-flight.js';
import type { Outcome } from '../../../../shared/function-deps.js';

/** A piece of work that runs until the test lets it finish, and says when it started. */
function gated(name: string, log: string[]): { work: () => Promise<Outcome>; finish: () => void } {
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return {
    work: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
      return [{ type: name, data: {} }] as unknown as Outcome;
    },
    finish: () => {
      finish();
    },
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('one reconcile of an object at a time (SingleFlight)', () => {
  test('a reconcile asked for during another of the same object runs after it; those asked for meanwhile share one run', async () => {
    // Prepare
    const flights = new SingleFlight();
    const log: string[] = [];
    const a = gated('a', log);
    const b = gated('b', log);
    const c = gated('c', log);

    // Act
    const first = flights.run('x', a.work);
    const second = flights.run('x', b.work);
    const third = flights.run('x', c.work);
    await tick();
    const whileFirstRuns = [...log];
    a.finish();
    await tick();
    b.finish();
    const outcomes = await Promise.all([first, second, third]);

    // Assess
    assert.deepEqual(whileFirstRuns, ['start a']);
    assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b']);
    assert.deepEqual(
      outcomes.map((outcome) => outcome.map((reply) => reply.type)),
      [['a'], ['b'], []],
    );
  });

  test('reconciles of different objects run side by side', async () => {
    // Prepare
    const flights = new SingleFlight();
    const log: string[] = [];
    const a = gated('a', log);
    const b = gated('b', log);

    // Act
    const both = Promise.all([flights.run('x', a.work), flights.run('y', b.work)]);
    await tick();
    const started = [...log];
    a.finish();
    b.finish();
    await both;

    // Assess
    assert.deepEqual(started, ['start a', 'start b']);
  });

  test('a failed run does not stop the one after it, and the object is free again afterwards', async () => {
    // Prepare
    const flights = new SingleFlight();
    const log: string[] = [];
    const failing = flights.run('x', () => Promise.reject(new Error('409 conflict')));
    const after = flights.run('x', () => {
      log.push('after');
      return Promise.resolve([]);
    });

    // Act
    await assert.rejects(failing, /409/);
    await after;
    await flights.run('x', () => {
      log.push('later');
      return Promise.resolve([]);
    });

    // Assess
    assert.deepEqual(log, ['after', 'later']);
  });
});
