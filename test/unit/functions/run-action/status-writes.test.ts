import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import type { Loaded } from '../../../../shared/execution/objects.js';
import { StatusWrites } from '../../../../shared/execution/store.js';
import type { KubeObject, ObjectKey } from '../../../../shared/kube/types.js';
import { FakeKube } from '../../../support/fake-kube.js';
import { executionObject, requested, worldOf, httpAction } from '../../../support/run-action-helpers.js';

/** A FakeKube whose status writes wait, one at a time, until the test lets each through. */
class GatedKube extends FakeKube {
  readonly waiting: (() => void)[] = [];

  override async mergePatchStatus(key: ObjectKey, patch: Record<string, unknown>): Promise<KubeObject> {
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    return super.mergePatchStatus(key, patch);
  }

  statusWrites(): number {
    return this.calls.filter((call) => call.verb === 'mergePatchStatus').length;
  }
}

/** Appends `mark` to the status message: each decision sees what the ones before it wrote. */
const append = (mark: string) => (loaded: Loaded) => ({
  status: { ...loaded.execution.status, message: `${loaded.execution.status?.message ?? ''}${mark}` },
  value: mark,
});

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe('the status writes of one run-action process (group commit)', () => {
  const ref = requested('s/0/a').execution;

  test('decisions that arrive while a write is in flight go in together, each decided from the status the ones before it left', async () => {
    // Prepare
    const kube = new GatedKube();
    const w = worldOf([httpAction('a', { url: 'http://127.0.0.1:1/' })], { kube });
    const writes = new StatusWrites();
    const options = { log: w.log };

    // Act
    const first = writes.update(w.deps, ref, append('a'), options);
    await until(() => kube.waiting.length === 1);
    const later = [writes.update(w.deps, ref, append('b'), options), writes.update(w.deps, ref, append('c'), options)];
    kube.waiting.shift()?.();
    await until(() => kube.waiting.length === 1);
    kube.waiting.shift()?.();
    const results = await Promise.all([first, ...later]);

    // Assess
    assert.deepEqual(
      results.map((result) => result?.value),
      ['a', 'b', 'c'],
    );
    assert.equal(w.status().message, 'abc');
    assert.equal(kube.statusWrites(), 2);
    assert.equal(results[2]?.loaded.execution.status?.message, 'abc');
  });

  test('after a conflict every waiting decision is made again from a fresh read, and none is applied twice', async () => {
    // Prepare
    const kube = new FakeKube();
    const w = worldOf([httpAction('a', { url: 'http://127.0.0.1:1/' })], { kube });
    const writes = new StatusWrites();
    kube.failNextWrites(1);
    let decisions = 0;
    const counted = (mark: string) => (loaded: Loaded) => {
      decisions++;
      return append(mark)(loaded);
    };

    // Act
    const results = await Promise.all([writes.update(w.deps, ref, counted('x'), { log: w.log }), writes.update(w.deps, ref, counted('y'), { log: w.log })]);

    // Assess
    assert.deepEqual(
      results.map((result) => result?.value),
      ['x', 'y'],
    );
    assert.equal(w.status().message, 'xy');
    assert.ok(decisions >= 3, `the conflicted decision was made again (${decisions} decisions)`);
  });

  test('a decision that throws fails only its own caller; the others are written', async () => {
    // Prepare
    const kube = new GatedKube();
    const w = worldOf([httpAction('a', { url: 'http://127.0.0.1:1/' })], { kube });
    const writes = new StatusWrites();
    const options = { log: w.log };
    const first = writes.update(w.deps, ref, append('a'), options);
    await until(() => kube.waiting.length === 1);

    // Act
    const failing = writes.update(
      w.deps,
      ref,
      () => {
        throw new Error('no longer ours');
      },
      options,
    );
    const other = writes.update(w.deps, ref, append('b'), options);
    kube.waiting.shift()?.();
    await until(() => kube.waiting.length === 1);
    kube.waiting.shift()?.();

    // Assess
    await assert.rejects(failing, /no longer ours/);
    assert.equal((await other)?.value, 'b');
    await first;
    assert.equal(w.status().message, 'ab');
  });

  test('an execution replaced by another of the same name (another uid) is not written', async () => {
    // Prepare
    const kube = new FakeKube();
    const w = worldOf([httpAction('a', { url: 'http://127.0.0.1:1/' })], { kube });
    kube.seed({ ...executionObject({}), metadata: { ...executionObject({}).metadata, uid: 'another' } });

    // Act
    const result = await new StatusWrites().update(w.deps, ref, append('a'), { log: w.log });

    // Assess
    assert.equal(result, undefined);
    assert.equal(kube.writes().length, 0);
  });
});
