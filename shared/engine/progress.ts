/** Derived status fields: execution progress and summary, workflow progress and current action. */
import type { ActionStatus, DRPlanExecutionStatus, StageStatus, Summary } from '../api/index.js';
import type { StageView, WorkflowView } from './status-tree.js';
import { isActive, isDone } from './status-tree.js';

type Counted = { phase: string };

const count = (nodes: readonly Counted[], phase: string): number => nodes.filter((node) => node.phase === phase).length;
const doneCount = (actions: readonly ActionStatus[]): number => actions.filter((action) => isDone(action.phase)).length;

/**
 * The summary counts. `completed*` counts what Succeeded; Skipped stages and workflows count only in the
 * totals (actions have their own `skippedActions`).
 */
export function computeSummary(stages: readonly StageStatus[]): Summary {
  const workflows = stages.flatMap((stage) => stage.workflowExecutions ?? []);
  const actions = workflows.flatMap((workflow) => workflow.actionStatuses ?? []);
  return {
    totalStages: stages.length,
    completedStages: count(stages, 'Succeeded'),
    failedStages: count(stages, 'Failed'),
    runningStages: count(stages, 'Running'),
    pendingStages: count(stages, 'Pending'),
    totalWorkflows: workflows.length,
    completedWorkflows: count(workflows, 'Succeeded'),
    failedWorkflows: count(workflows, 'Failed'),
    runningWorkflows: count(workflows, 'Running'),
    pendingWorkflows: count(workflows, 'Pending'),
    totalActions: actions.length,
    completedActions: count(actions, 'Succeeded'),
    failedActions: count(actions, 'Failed'),
    skippedActions: count(actions, 'Skipped'),
  };
}

/** `"<done>/<total> actions"`, done being Succeeded, Failed or Skipped. */
export function executionProgress(stages: readonly StageStatus[]): string {
  const actions = stages.flatMap((stage) => stage.workflowExecutions ?? []).flatMap((workflow) => workflow.actionStatuses ?? []);
  return `${doneCount(actions)}/${actions.length} actions`;
}

function refreshWorkflow(workflow: WorkflowView): void {
  const statuses = workflow.actions.map((action) => action.status);
  workflow.status.progress = `${doneCount(statuses)}/${statuses.length} actions completed`;
  const current = workflow.status.phase === 'Running' ? workflow.actions.find((action) => isActive(action.status)) : undefined;
  if (current === undefined) delete workflow.status.currentAction;
  else workflow.status.currentAction = current.spec.name;
}

export function refreshProgress(status: DRPlanExecutionStatus, stages: readonly StageView[]): void {
  const stageStatuses = status.stageStatuses ?? [];
  status.progress = executionProgress(stageStatuses);
  status.summary = computeSummary(stageStatuses);
  for (const stage of stages) for (const workflow of stage.workflows) refreshWorkflow(workflow);
}
