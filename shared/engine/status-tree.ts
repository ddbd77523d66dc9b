/**
 * The status tree of an execution (stages → workflows → actions), built from the frozen plan, and the
 * views that pair each status node with its resolved spec. Views point into the status they were built
 * from: the scheduler mutates its private copy through them.
 */
import type {
  Action,
  ActionStatus,
  DRPlanExecutionStatus,
  ResolvedPlan,
  ResolvedStage,
  ResolvedWorkflow,
  StageStatus,
  WorkflowExecutionStatus,
} from '../api/index.js';
import { actionPath, workflowPath } from './action-path.js';

export interface ActionView {
  path: string;
  stage: string;
  workflowIndex: number;
  spec: Action;
  status: ActionStatus;
}

export interface WorkflowView {
  path: string;
  index: number;
  spec: ResolvedWorkflow;
  status: WorkflowExecutionStatus;
  actions: ActionView[];
}

export interface StageView {
  spec: ResolvedStage;
  status: StageStatus;
  workflows: WorkflowView[];
}

const TERMINAL: ReadonlySet<string> = new Set(['Succeeded', 'Failed', 'Skipped']);

/** Succeeded, Failed or Skipped: a stage, workflow or action that will not change again. */
export const isDone = (phase: string): boolean => TERMINAL.has(phase);

/** An action with an attempt under way: requested, waiting for its retry, Running or Unknown. */
export const isActive = (status: ActionStatus): boolean =>
  status.phase === 'Running' || status.phase === 'Unknown' || (status.phase === 'Pending' && status.attempt !== undefined);

/** An action the scheduler has not reached yet. */
export const isUnreached = (status: ActionStatus): boolean => status.phase === 'Pending' && status.attempt === undefined;

function actionStatusFor(action: Action, existing: readonly ActionStatus[] | undefined): ActionStatus {
  const found = existing?.find((candidate) => candidate.name === action.name);
  return found === undefined ? { name: action.name, phase: 'Pending' } : { ...found };
}

function workflowStatusFor(workflow: ResolvedWorkflow, existing: WorkflowExecutionStatus | undefined): WorkflowExecutionStatus {
  return {
    ...existing,
    workflowRef: { ...workflow.workflowRef },
    phase: existing?.phase ?? 'Pending',
    actionStatuses: workflow.actions.map((action) => actionStatusFor(action, existing?.actionStatuses)),
  };
}

function stageStatusFor(stage: ResolvedStage, existing: StageStatus | undefined): StageStatus {
  const status: StageStatus = { ...existing, name: stage.name, phase: existing?.phase ?? 'Pending', parallel: stage.parallel };
  if (stage.dependsOn === undefined) delete status.dependsOn;
  else status.dependsOn = [...stage.dependsOn];
  status.workflowExecutions = stage.workflows.map((workflow, index) => workflowStatusFor(workflow, existing?.workflowExecutions?.[index]));
  return status;
}

/**
 * The status tree for a resolved plan, aligned with it (stage i ↔ resolved stage i, and so on). Nodes
 * already in `existing` are kept (matched by stage name, workflow index and action name) — so an initial
 * status with actions pre-set to `Skipped` keeps them — and the rest start `Pending`.
 */
export function buildStatusTree(resolved: ResolvedPlan, existing: readonly StageStatus[] | undefined): StageStatus[] {
  return (resolved.stages ?? []).map((stage) =>
    stageStatusFor(
      stage,
      existing?.find((candidate) => candidate.name === stage.name),
    ),
  );
}

function workflowView(stage: ResolvedStage, spec: ResolvedWorkflow, status: WorkflowExecutionStatus, index: number): WorkflowView {
  const statuses = status.actionStatuses ?? [];
  const actions = spec.actions.flatMap((action, a): ActionView[] => {
    const actionStatus = statuses[a];
    if (actionStatus === undefined) return [];
    return [{ path: actionPath(stage.name, index, action.name), stage: stage.name, workflowIndex: index, spec: action, status: actionStatus }];
  });
  return { path: workflowPath(stage.name, index), index, spec, status, actions };
}

/** Views over a tree built by `buildStatusTree` for the same plan. */
export function viewTree(resolved: ResolvedPlan, stageStatuses: readonly StageStatus[]): StageView[] {
  return (resolved.stages ?? []).flatMap((spec, s): StageView[] => {
    const status = stageStatuses[s];
    if (status === undefined) return [];
    const workflowStatuses = status.workflowExecutions ?? [];
    const workflows = spec.workflows.flatMap((workflow, w): WorkflowView[] => {
      const workflowStatus = workflowStatuses[w];
      return workflowStatus === undefined ? [] : [workflowView(spec, workflow, workflowStatus, w)];
    });
    return [{ spec, status, workflows }];
  });
}

/** The status of the action at `path` (whole paths are compared, so names holding `/` still match). */
export function findActionStatus(status: DRPlanExecutionStatus, path: string): ActionStatus | undefined {
  for (const stage of status.stageStatuses ?? []) {
    const workflows = stage.workflowExecutions ?? [];
    for (const [index, workflow] of workflows.entries()) {
      const found = workflow.actionStatuses?.find((action) => actionPath(stage.name, index, action.name) === path);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * A copy of `status` in which the action at `path` (returned with it) may be changed: the containers on
 * the way to it are copied, the action is cloned, everything else (the frozen plan, the other actions) is
 * shared with `status`. An attempt's claim, result or heartbeat changes one action, so this costs the
 * depth of the tree, not its size. Undefined when there is no such action.
 */
export function withActionCopy(status: DRPlanExecutionStatus, path: string): { next: DRPlanExecutionStatus; action: ActionStatus } | undefined {
  const stages = status.stageStatuses ?? [];
  for (const [s, stage] of stages.entries()) {
    const workflows = stage.workflowExecutions ?? [];
    for (const [w, workflow] of workflows.entries()) {
      const actions = workflow.actionStatuses ?? [];
      const a = actions.findIndex((candidate) => actionPath(stage.name, w, candidate.name) === path);
      if (a < 0) continue;
      const action = structuredClone(actions[a]) as ActionStatus;
      const nextWorkflows = workflows.with(w, { ...workflow, actionStatuses: actions.with(a, action) });
      const nextStages = stages.with(s, { ...stage, workflowExecutions: nextWorkflows });
      return { next: { ...status, stageStatuses: nextStages }, action };
    }
  }
  return undefined;
}

export const allActions = (stages: readonly StageView[]): ActionView[] => stages.flatMap((stage) => stage.workflows.flatMap((workflow) => workflow.actions));
