/**
 * The plan bookkeeping of a finished execution, as a pure function of the plan status and the execution:
 * its record in `executionHistory` (newest first, at most HISTORY_LIMIT), `lastExecutionRef` and
 * `lastExecutionTime`, the plan phase (`Executed` after a Succeeded Execute, `Ready` after a Succeeded
 * Revert) and the release of the lock when this execution holds it. Applied twice it changes nothing,
 * and applied late (after newer executions finished) it changes nothing a newer execution decided.
 */
import type { DRPlanExecution, DRPlanStatus, ExecutionRecord, NamespacedRef } from '../api/index.js';
import { HISTORY_LIMIT } from '../api/index.js';

const sameExecution = (a: { name: string; namespace?: string | undefined }, b: { name: string; namespace?: string | undefined }): boolean =>
  a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '');

export function historyRecord(execution: DRPlanExecution): ExecutionRecord {
  const status = execution.status ?? {};
  const record: ExecutionRecord = {
    name: execution.metadata.name ?? '',
    namespace: execution.metadata.namespace ?? 'default',
    operationType: execution.spec.operationType,
  };
  if (status.phase !== undefined) record.phase = status.phase;
  if (status.startTime !== undefined) record.startTime = status.startTime;
  if (status.completionTime !== undefined) record.completionTime = status.completionTime;
  return record;
}

const finishedAt = (record: ExecutionRecord): string => record.completionTime ?? record.startTime ?? '';

/** Newest first: latest completion, then latest start, then name (so the order never depends on arrival). */
function newestFirst(a: ExecutionRecord, b: ExecutionRecord): number {
  for (const [left, right] of [
    [finishedAt(b), finishedAt(a)],
    [b.startTime ?? '', a.startTime ?? ''],
    [a.name, b.name],
  ] as const) {
    if (left !== right) return left < right ? -1 : 1;
  }
  return 0;
}

/** The history with `record` in place of an earlier record of the same execution, newest first, cut to the limit. */
export function upsertHistory(history: readonly ExecutionRecord[] | undefined, record: ExecutionRecord): ExecutionRecord[] {
  const others = (history ?? []).filter((entry) => !sameExecution(entry, record));
  return [...others, record].sort(newestFirst).slice(0, HISTORY_LIMIT);
}

function holdsLock(current: NamespacedRef | undefined, record: ExecutionRecord): boolean {
  return current !== undefined && sameExecution({ name: current.name, namespace: current.namespace ?? record.namespace }, record);
}

function phaseAfter(status: DRPlanStatus, record: ExecutionRecord): DRPlanStatus['phase'] {
  if (record.phase !== 'Succeeded' || status.phase === 'Invalid') return status.phase;
  return record.operationType === 'Revert' ? 'Ready' : 'Executed';
}

/** The plan status once `execution` (finished) is recorded. A new object; the input is not changed. */
export function planStatusAfterFinish(status: DRPlanStatus | undefined, execution: DRPlanExecution): DRPlanStatus {
  const before = status ?? {};
  const record = historyRecord(execution);
  const next: DRPlanStatus = { ...before, executionHistory: upsertHistory(before.executionHistory, record) };
  const newest = next.executionHistory?.[0];
  if (newest !== undefined && sameExecution(newest, record)) {
    next.lastExecutionRef = record.name;
    const time = record.startTime ?? record.completionTime;
    if (time !== undefined) next.lastExecutionTime = time;
    const phase = phaseAfter(before, record);
    if (phase !== undefined) next.phase = phase;
  }
  if (holdsLock(before.currentExecution, record)) delete next.currentExecution;
  return next;
}
