import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { DRPlanExecution, DRPlanStatus, ExecutionRecord } from '../../../../shared/api/index.js';
import { HISTORY_LIMIT } from '../../../../shared/api/index.js';
import { planStatusAfterFinish, upsertHistory } from '../../../../shared/execution/history.js';

const at = (minute: number): string => new Date(Date.UTC(2026, 2, 1, 10, minute)).toISOString();

function finished(name: string, minute: number, phase = 'Succeeded', operationType: 'Execute' | 'Revert' = 'Execute'): DRPlanExecution {
  return {
    metadata: { name, namespace: 'default' },
    spec: { planRef: 'p', operationType },
    status: { phase: phase as 'Succeeded', startTime: at(minute), completionTime: at(minute + 1) },
  };
}

const record = (name: string, minute: number, phase = 'Succeeded'): ExecutionRecord => ({
  name,
  namespace: 'default',
  operationType: 'Execute',
  phase,
  startTime: at(minute),
  completionTime: at(minute + 1),
});

describe('the plan bookkeeping of a finished execution', () => {
  test("the record goes first, with the execution's phase and times, and names it the last execution", () => {
    const next = planStatusAfterFinish({ phase: 'Ready', executionHistory: [record('older', 1)] }, finished('newer', 5));

    assert.deepEqual(next.executionHistory, [record('newer', 5), record('older', 1)]);
    assert.equal(next.lastExecutionRef, 'newer');
    assert.equal(next.lastExecutionTime, at(5));
  });

  test('a record of the same execution is replaced, not repeated', () => {
    const next = planStatusAfterFinish({ executionHistory: [{ ...record('run', 5), phase: 'Running' }] }, finished('run', 5, 'Cancelled'));

    assert.deepEqual(next.executionHistory, [record('run', 5, 'Cancelled')]);
  });

  const phases: Array<[string, DRPlanExecution, DRPlanStatus['phase'], DRPlanStatus['phase']]> = [
    ['a Succeeded Execute makes a Ready plan Executed', finished('x', 5), 'Ready', 'Executed'],
    ['a Succeeded Revert makes an Executed plan Ready', finished('x', 5, 'Succeeded', 'Revert'), 'Executed', 'Ready'],
    ['a Failed Execute leaves the phase', finished('x', 5, 'Failed'), 'Ready', 'Ready'],
    ['a Cancelled Revert leaves the phase', finished('x', 5, 'Cancelled', 'Revert'), 'Executed', 'Executed'],
    ['a Succeeded Execute never overrides Invalid', finished('x', 5), 'Invalid', 'Invalid'],
  ];
  for (const [name, execution, before, after] of phases) {
    test(name, () => {
      assert.equal(planStatusAfterFinish({ phase: before }, execution).phase, after);
    });
  }

  test('the lock is released only when it names this execution', () => {
    const mine = planStatusAfterFinish({ currentExecution: { name: 'x', namespace: 'default' } }, finished('x', 5));
    const theirs = planStatusAfterFinish({ currentExecution: { name: 'y', namespace: 'default' } }, finished('x', 5));

    assert.equal(mine.currentExecution, undefined);
    assert.deepEqual(theirs.currentExecution, { name: 'y', namespace: 'default' });
  });

  test('a record arriving late (older than the newest) changes neither the last execution nor the phase', () => {
    const before: DRPlanStatus = { phase: 'Ready', lastExecutionRef: 'newer', lastExecutionTime: at(9), executionHistory: [record('newer', 9, 'Failed')] };

    const next = planStatusAfterFinish(before, finished('older', 2));

    assert.equal(next.lastExecutionRef, 'newer');
    assert.equal(next.phase, 'Ready');
    assert.deepEqual(
      next.executionHistory?.map((entry) => entry.name),
      ['newer', 'older'],
    );
  });
});

describe('the execution history', () => {
  const records = fc.uniqueArray(fc.record({ name: fc.string({ minLength: 1, maxLength: 6 }), minute: fc.integer({ min: 0, max: 50 }) }), {
    selector: (entry) => entry.name,
    maxLength: 25,
  });

  test('holds at most HISTORY_LIMIT records, newest completion first, whatever the arrival order', () => {
    fc.assert(
      fc.property(records, (entries) => {
        let history: ExecutionRecord[] = [];
        for (const entry of entries) history = upsertHistory(history, record(entry.name, entry.minute));
        const times = history.map((entry) => entry.completionTime ?? '');
        assert.ok(history.length <= HISTORY_LIMIT);
        assert.equal(history.length, Math.min(entries.length, HISTORY_LIMIT));
        assert.deepEqual(times, [...times].sort().reverse());
      }),
    );
  });

  test('recording the same execution again changes nothing', () => {
    fc.assert(
      fc.property(records, fc.nat(), (entries, pick) => {
        let history: ExecutionRecord[] = [];
        for (const entry of entries) history = upsertHistory(history, record(entry.name, entry.minute));
        const again = entries[pick % Math.max(entries.length, 1)];
        if (again === undefined) return;
        assert.deepEqual(upsertHistory(history, record(again.name, again.minute)), history);
      }),
    );
  });
});
