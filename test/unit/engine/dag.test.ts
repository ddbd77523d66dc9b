import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { StageNode } from '../../../shared/engine/dag.js';
import { findCycle, topologicalOrder } from '../../../shared/engine/dag.js';

const nodes = (spec: Record<string, string[]>): StageNode[] => Object.entries(spec).map(([name, dependsOn]) => ({ name, dependsOn }));

describe('findCycle', () => {
  const cases: { name: string; stages: StageNode[]; cycle: string[] | undefined }[] = [
    { name: 'a plan without dependencies has no cycle', stages: nodes({ a: [], b: [] }), cycle: undefined },
    { name: 'a chain has no cycle', stages: nodes({ a: [], b: ['a'], c: ['b'] }), cycle: undefined },
    { name: 'a diamond has no cycle', stages: nodes({ a: [], b: ['a'], c: ['a'], d: ['b', 'c'] }), cycle: undefined },
    { name: 'a stage depending on itself is a cycle of one', stages: nodes({ a: ['a'] }), cycle: ['a', 'a'] },
    { name: 'two stages depending on each other form a cycle', stages: nodes({ a: ['b'], b: ['a'] }), cycle: ['a', 'b', 'a'] },
    { name: 'a longer cycle is returned as its path', stages: nodes({ a: ['c'], b: ['a'], c: ['b'] }), cycle: ['a', 'c', 'b', 'a'] },
    { name: 'a cycle behind an acyclic prefix is found from where it starts', stages: nodes({ root: [], x: ['root', 'y'], y: ['x'] }), cycle: ['x', 'y', 'x'] },
    { name: 'unknown dependency names are ignored', stages: nodes({ a: ['ghost'], b: ['a', 'phantom'] }), cycle: undefined },
    { name: 'absent dependsOn means no dependency', stages: [{ name: 'a' }, { name: 'b', dependsOn: undefined }], cycle: undefined },
  ];
  for (const { name, stages, cycle } of cases) {
    test(name, () => {
      assert.deepEqual(findCycle(stages), cycle);
    });
  }

  test('a long chain is walked without exhausting the stack', () => {
    const stages = Array.from({ length: 20_000 }, (_, i) => ({ name: `s${i}`, dependsOn: i === 0 ? ['s19999'] : [`s${i - 1}`] }));

    const cycle = findCycle(stages);

    assert.equal(cycle?.length, 20_001);
    assert.equal(cycle[0], cycle.at(-1));
  });
});

describe('topologicalOrder', () => {
  const cases: { name: string; stages: StageNode[]; order: string[] | undefined }[] = [
    { name: 'independent stages keep their list order', stages: nodes({ c: [], a: [], b: [] }), order: ['c', 'a', 'b'] },
    { name: 'a dependency comes before its dependant', stages: nodes({ b: ['a'], a: [] }), order: ['a', 'b'] },
    { name: 'list order breaks ties among ready stages', stages: nodes({ d: ['a'], c: [], a: [], b: ['c'] }), order: ['c', 'a', 'd', 'b'] },
    { name: 'unknown dependency names do not block a stage', stages: nodes({ a: ['ghost'] }), order: ['a'] },
    { name: 'a cycle has no order', stages: nodes({ a: ['b'], b: ['a'], c: [] }), order: undefined },
    { name: 'an empty plan has an empty order', stages: [], order: [] },
  ];
  for (const { name, stages, order } of cases) {
    test(name, () => {
      assert.deepEqual(topologicalOrder(stages), order);
    });
  }
});

/** Random DAGs: each stage may depend on any earlier stage. */
const dags = fc
  .integer({ min: 1, max: 12 })
  .chain((size) =>
    fc
      .tuple(...Array.from({ length: size }, (_, i) => fc.subarray(Array.from({ length: i }, (_, j) => `s${j}`))))
      .map((deps) => deps.map((dependsOn, i) => ({ name: `s${i}`, dependsOn }))),
  );

describe('stage graph properties', () => {
  test('every stage of an acyclic plan comes after all of its dependencies', () => {
    fc.assert(
      fc.property(dags, fc.func(fc.integer()), (stages, key) => {
        const shuffled = [...stages].sort((a, b) => key(a.name) - key(b.name));
        const order = topologicalOrder(shuffled);
        assert.ok(order !== undefined);
        assert.equal(findCycle(shuffled), undefined);
        assert.deepEqual([...order].sort(), stages.map((s) => s.name).sort());
        for (const stage of stages) {
          for (const dep of stage.dependsOn) assert.ok(order.indexOf(dep) < order.indexOf(stage.name), `${dep} before ${stage.name}`);
        }
      }),
    );
  });

  test("adding an edge back to a stage's ancestor yields a cycle that follows real edges", () => {
    fc.assert(
      fc.property(
        dags.filter((stages) => stages.some((s) => s.dependsOn.length > 0)),
        (stages) => {
          const from = stages.find((s) => s.dependsOn.length > 0);
          assert.ok(from !== undefined);
          const to = from.dependsOn[0] ?? '';
          const cyclic = stages.map((s) => (s.name === to ? { ...s, dependsOn: [...s.dependsOn, from.name] } : s));

          const cycle = findCycle(cyclic);

          assert.ok(cycle !== undefined);
          assert.equal(cycle[0], cycle.at(-1));
          const deps = new Map(cyclic.map((s) => [s.name, s.dependsOn]));
          for (let i = 0; i + 1 < cycle.length; i++) assert.ok(deps.get(cycle[i] ?? '')?.includes(cycle[i + 1] ?? ''));
          assert.equal(topologicalOrder(cyclic), undefined);
        },
      ),
    );
  });
});
