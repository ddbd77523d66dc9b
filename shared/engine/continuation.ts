/**
 * A retry of a failed execution (`spec.retryOf`), pure: it runs the earlier execution's frozen plan
 * again, keeping every action that Succeeded there (with its outputs, so a revert of the retry undoes
 * that work too) and the actions a person decided to skip (`spec.skip`, Skipped with the reason); the
 * rest starts from the beginning — from the failed action on.
 */
import type { ActionStatus, DRPlanExecution, DRPlanExecutionStatus, ResolvedPlan, StageStatus } from '../api/index.js';
import { actionPath } from './action-path.js';
import { buildStatusTree } from './status-tree.js';
import { SKIPPED_BY_DECISION } from './schedule-context.js';

export type Continuation = { ok: true; resolved: ResolvedPlan; status: DRPlanExecutionStatus } | { ok: false; message: string };

/** What of the earlier execution stops it being continued: its kind, its phase, its frozen plan. */
function earlierProblem(name: string, earlier: DRPlanExecution): string | undefined {
  if (earlier.spec.operationType !== 'Execute' || earlier.spec.dryRun === true)
    return `spec.retryOf: execution "${name}" is not an Execute that ran; only one can be continued`;
  const phase = earlier.status?.phase;
  if (phase !== 'Failed' && phase !== 'Cancelled')
    return `spec.retryOf: execution "${name}" is ${phase ?? 'Pending'}; only a Failed or Cancelled execution can be continued`;
  return earlier.status?.resolved?.stages === undefined ? `spec.retryOf: execution "${name}" has no frozen plan; what it ran is unknown` : undefined;
}

/** Why `earlier` cannot be continued by `retry`, or undefined when it can. */
export function checkRetryTarget(retry: DRPlanExecution, earlier: DRPlanExecution | undefined): string | undefined {
  const name = retry.spec.retryOf ?? '';
  if (earlier === undefined) return `spec.retryOf: execution "${name}" not found in namespace "${retry.metadata.namespace ?? 'default'}"`;
  if (earlier.spec.planRef !== retry.spec.planRef) return `spec.retryOf: execution "${name}" ran plan "${earlier.spec.planRef}", not "${retry.spec.planRef}"`;
  return earlierProblem(name, earlier);
}

function keptAction(action: ActionStatus, earlier: string): ActionStatus {
  const { name, phase, outputs, startTime, completionTime, attempt } = action;
  return {
    name,
    phase,
    message: `succeeded in ${earlier}; not run again`,
    ...(attempt === undefined ? {} : { attempt }),
    ...(startTime === undefined ? {} : { startTime }),
    ...(completionTime === undefined ? {} : { completionTime }),
    ...(outputs === undefined ? {} : { outputs }),
  };
}

/** One action of the retry: skipped by decision, kept from the earlier run, or to run. */
function startingAction(
  action: ActionStatus,
  before: ActionStatus | undefined,
  reason: string | undefined,
  context: { earlier: string; at: string },
): ActionStatus {
  if (reason !== undefined) return { name: action.name, phase: 'Skipped', message: `${SKIPPED_BY_DECISION}: ${reason}`, completionTime: context.at };
  return before?.phase === 'Succeeded' ? keptAction(before, context.earlier) : action;
}

/** The plan's status tree with each action as the retry starts it; the paths of every action, to check the skips against. */
function startingTree(resolved: ResolvedPlan, previous: readonly StageStatus[], skips: ReadonlyMap<string, string>, context: { earlier: string; at: string }) {
  const tree: StageStatus[] = buildStatusTree(resolved, undefined);
  const known = new Set<string>();
  for (const stage of tree) {
    const before = previous.find((candidate) => candidate.name === stage.name);
    (stage.workflowExecutions ?? []).forEach((workflow, index) => {
      const statuses = before?.workflowExecutions?.[index]?.actionStatuses ?? [];
      workflow.actionStatuses = (workflow.actionStatuses ?? []).map((action) => {
        const path = actionPath(stage.name, index, action.name);
        known.add(path);
        return startingAction(
          action,
          statuses.find((candidate) => candidate.name === action.name),
          skips.get(path),
          context,
        );
      });
    });
  }
  return { tree, known };
}

/** The status a retry starts from: the tree of the plan, with what is kept already done. */
export function continuation(retry: DRPlanExecution, earlier: DRPlanExecution | undefined, now: Date): Continuation {
  const problem = checkRetryTarget(retry, earlier);
  const status = earlier?.status;
  if (problem !== undefined || status?.resolved === undefined) return { ok: false, message: problem ?? 'spec.retryOf: no frozen plan' };
  const context = { earlier: retry.spec.retryOf ?? '', at: now.toISOString() };
  const skips = new Map((retry.spec.skip ?? []).map((entry) => [entry.action, entry.reason]));
  const { tree, known } = startingTree(status.resolved, status.stageStatuses ?? [], skips, context);
  const unknown = [...skips.keys()].find((path) => !known.has(path));
  if (unknown === undefined) return { ok: true, resolved: status.resolved, status: { stageStatuses: tree } };
  return { ok: false, message: `spec.skip: "${unknown}" is not an action of execution "${context.earlier}" (paths are stage/workflowIndex/action)` };
}
