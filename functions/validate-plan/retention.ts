/**
 * Retention: a plan keeps its `spec.executionHistoryLimit` newest finished executions (10 by default,
 * as its status history); older ones are deleted, so neither the API nor the functions' resync work
 * grows with every run ever made. Only executions whose end is already recorded in the plan's history
 * (condition `Recorded`) are candidates; running ones and ones being deleted are never touched. Runs
 * when validate-plan reconciles the plan, which every recorded end wakes (the plan's status changes).
 * Dry runs are counted apart: the newest `executionHistoryLimit` of them are kept as well.
 */
import { API_VERSION, HISTORY_LIMIT, isFinalPhase, Kinds, Labels } from '../../shared/api/index.js';
import { RECORDED } from '../../shared/execution/finish.js';
import type { CoreDeps, Logger } from '../../shared/function-deps.js';
import { executionKey, nameOf } from '../../shared/keys.js';
import type { KubeObject } from '../../shared/kube/types.js';
import { isRecord } from '../../shared/type-utils.js';

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** The limit the plan asks for, read tolerantly (an unreadable value means the default). */
export function historyLimitOf(plan: KubeObject): number {
  const spec = isRecord(plan.spec) ? plan.spec : {};
  const limit = spec.executionHistoryLimit;
  return typeof limit === 'number' && Number.isInteger(limit) && limit >= 1 ? limit : HISTORY_LIMIT;
}

const statusOf = (execution: KubeObject): Record<string, unknown> => (isRecord(execution.status) ? execution.status : {});

/** Finished, its end recorded in the plan's history, and not already going. */
function prunable(execution: KubeObject): boolean {
  const status = statusOf(execution);
  if (execution.metadata.deletionTimestamp !== undefined) return false;
  if (typeof status.phase !== 'string' || !isFinalPhase(status.phase)) return false;
  const conditions: unknown[] = Array.isArray(status.conditions) ? status.conditions : [];
  return conditions.some((condition) => isRecord(condition) && condition.type === RECORDED);
}

/** Newest first: by completion time, then creation time, then name. */
function newestFirst(a: KubeObject, b: KubeObject): number {
  const time = (execution: KubeObject): string => {
    const completion = statusOf(execution).completionTime;
    return typeof completion === 'string' ? completion : (execution.metadata.creationTimestamp ?? '');
  };
  return time(b).localeCompare(time(a)) || (b.metadata.name ?? '').localeCompare(a.metadata.name ?? '');
}

/**
 * Whether the plan may have more recorded finished executions than it keeps. Every recorded end is in
 * the plan's history (newest HISTORY_LIMIT): with fewer records than the limit there is nothing to
 * delete, and no list is needed — most reconciles of a plan (its validation, its lock) skip it.
 */
function mayExceed(plan: KubeObject): boolean {
  const status = isRecord(plan.status) ? plan.status : {};
  const history = Array.isArray(status.executionHistory) ? status.executionHistory.length : 0;
  // dry runs are not in the history: a plan that has had one is looked at whenever it is reconciled
  return history >= Math.min(historyLimitOf(plan), HISTORY_LIMIT) || status.lastDryRun !== undefined;
}

const isDryRun = (execution: KubeObject): boolean => isRecord(execution.spec) && execution.spec.dryRun === true;

/** Beyond the limit, newest first: runs and dry runs each keep their own `limit` (a drill never pushes out a run that may still be reverted). */
function beyondLimit(finished: readonly KubeObject[], limit: number): KubeObject[] {
  const runs = finished.filter((execution) => !isDryRun(execution)).sort(newestFirst);
  const dryRuns = finished.filter(isDryRun).sort(newestFirst);
  return [...runs.slice(limit), ...dryRuns.slice(limit)];
}

/** Deletes the plan's finished executions beyond its limit; returns how many it deleted. A failure is logged: the next reconcile tries again. */
export async function pruneExecutions(deps: CoreDeps, plan: KubeObject, log: Logger): Promise<number> {
  const { name, namespace } = nameOf(plan);
  if (plan.metadata.deletionTimestamp !== undefined || !LABEL_VALUE.test(name) || name.length > 63 || !mayExceed(plan)) return 0;
  const executions = await deps.kube.list(API_VERSION, Kinds.execution, { namespace, labelSelector: `${Labels.plan}=${name}` });
  const finished = executions.filter((execution) => (execution.spec as { planRef?: unknown } | undefined)?.planRef === name && prunable(execution));
  const doomed = beyondLimit(finished, historyLimitOf(plan));
  let deleted = 0;
  for (const execution of doomed) {
    const id = nameOf(execution);
    try {
      if (await deps.kube.remove(executionKey(id))) deleted += 1;
      log.info({ execution: id.name, phase: statusOf(execution).phase, limit: historyLimitOf(plan) }, 'finished execution deleted (executionHistoryLimit)');
    } catch (error: unknown) {
      log.warn({ err: error, execution: id.name }, 'a finished execution beyond executionHistoryLimit could not be deleted; the next reconcile tries again');
    }
  }
  return deleted;
}
