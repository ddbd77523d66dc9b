/**
 * An execution as the CLI shows it: stages → workflows → actions with phase, attempt, times, duration
 * and progress, read tolerantly from the stored object (a status the schema would reject still shows
 * what can be read). `status -o json|yaml` prints this view; the tree and the transition lines are
 * rendered from it.
 */
import {
  Annotations,
  DRPlanExecutionSchema,
  ExecutionPhaseSchema,
  isFinalPhase,
  type ActionStatus,
  type DRPlanExecution,
  type ResolvedPlan,
  type StageStatus,
  type WorkflowExecutionStatus,
} from '../../shared/api/index.js';
import type { KubeObject } from '../../shared/kube/types.js';
import { elapsed, formatDuration } from './format.js';

export interface Progress {
  done: number;
  total: number;
}

interface Timed {
  phase: string;
  message?: string | undefined;
  startTime?: string | undefined;
  completionTime?: string | undefined;
  /** Formatted (`1m05s`); running nodes count up to the time the view was made. */
  duration?: string | undefined;
  durationSeconds?: number | undefined;
}

export interface ActionView extends Timed {
  name: string;
  /** `stage/workflowIndex/action` */
  path: string;
  attempt?: number | undefined;
  retryCount?: number | undefined;
  nextAttemptAt?: string | undefined;
  rollbackOf?: string | undefined;
}

export interface WorkflowView extends Timed {
  /** `namespace/name` */
  workflow: string;
  index: number;
  currentAction?: string | undefined;
  progress: Progress;
  actions: ActionView[];
}

export interface StageView extends Timed {
  name: string;
  parallel: boolean;
  dependsOn: string[];
  progress: Progress;
  workflows: WorkflowView[];
}

export interface ExecutionView extends Timed {
  name: string;
  namespace: string;
  plan: string;
  operation: string;
  revertOf?: string | undefined;
  cancelRequested: boolean;
  progress: Progress;
  stages: StageView[];
}

const DONE: ReadonlySet<string> = new Set(['Succeeded', 'Failed', 'Skipped']);

export { isFinalPhase };

function timed(node: { phase: string; message?: string | undefined; startTime?: string | undefined; completionTime?: string | undefined }, now: Date): Timed {
  const ms = elapsed(node.startTime, node.completionTime, now);
  return {
    phase: node.phase,
    message: node.message === '' ? undefined : node.message,
    startTime: node.startTime,
    completionTime: node.completionTime,
    duration: ms === undefined ? undefined : formatDuration(ms),
    durationSeconds: ms === undefined ? undefined : Math.round(ms / 100) / 10,
  };
}

const countDone = (actions: readonly ActionView[]): Progress => ({ done: actions.filter((action) => DONE.has(action.phase)).length, total: actions.length });

function actionView(status: ActionStatus, path: string, now: Date): ActionView {
  return {
    name: status.name,
    path,
    ...timed(status, now),
    attempt: status.attempt,
    retryCount: status.retryCount,
    nextAttemptAt: status.phase === 'Pending' ? status.nextAttemptAt : undefined,
    rollbackOf: status.rollbackOf,
  };
}

function workflowView(stage: string, status: WorkflowExecutionStatus, index: number, now: Date): WorkflowView {
  const ref = status.workflowRef;
  const actions = (status.actionStatuses ?? []).map((action) => actionView(action, `${stage}/${index}/${action.name}`, now));
  return {
    workflow: `${ref.namespace ?? ''}${ref.namespace === undefined ? '' : '/'}${ref.name}`,
    index,
    ...timed(status, now),
    currentAction: status.currentAction,
    progress: countDone(actions),
    actions,
  };
}

function stageView(status: StageStatus, now: Date): StageView {
  const workflows = (status.workflowExecutions ?? []).map((workflow, index) => workflowView(status.name, workflow, index, now));
  return {
    name: status.name,
    ...timed(status, now),
    parallel: status.parallel ?? false,
    dependsOn: status.dependsOn ?? [],
    progress: countDone(workflows.flatMap((workflow) => workflow.actions)),
    workflows,
  };
}

/** Stages of a frozen plan not yet in the status tree (the status is written in the same step, so rarely). */
function pendingStages(resolved: ResolvedPlan | undefined): StageStatus[] {
  return (resolved?.stages ?? []).map((stage) => ({
    name: stage.name,
    phase: 'Pending',
    parallel: stage.parallel,
    dependsOn: stage.dependsOn,
    workflowExecutions: stage.workflows.map((workflow) => ({
      workflowRef: workflow.workflowRef,
      phase: 'Pending',
      actionStatuses: workflow.actions.map((action) => ({ name: action.name, phase: 'Pending' })),
    })),
  }));
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** What can be read of an object the schema rejects: its names and phase, no tree. */
function fallback(object: KubeObject): DRPlanExecution {
  const spec = record(object.spec);
  const status = record(object.status);
  const phase = ExecutionPhaseSchema.safeParse(status.phase);
  return {
    metadata: object.metadata,
    spec: { planRef: text(spec.planRef), operationType: spec.operationType === 'Revert' ? 'Revert' : 'Execute' },
    status: { message: text(status.message) || 'the status cannot be read (it does not match the schema)', ...(phase.success ? { phase: phase.data } : {}) },
  };
}

export function executionView(object: KubeObject, now: Date): ExecutionView {
  const parsed = DRPlanExecutionSchema.safeParse(object);
  const execution = parsed.success ? parsed.data : fallback(object);
  const status = execution.status ?? {};
  const stageStatuses = (status.stageStatuses ?? []).length > 0 ? (status.stageStatuses ?? []) : pendingStages(status.resolved);
  const stages = stageStatuses.map((stage) => stageView(stage, now));
  return {
    name: object.metadata.name ?? '',
    namespace: object.metadata.namespace ?? 'default',
    plan: execution.spec.planRef,
    operation: execution.spec.operationType,
    revertOf: execution.spec.revertExecutionRef,
    cancelRequested: object.metadata.annotations?.[Annotations.cancel] === 'true',
    ...timed({ ...status, phase: status.phase ?? 'Pending' }, now),
    progress: countDone(stages.flatMap((stage) => stage.workflows.flatMap((workflow) => workflow.actions))),
    stages,
  };
}

/** The view without `undefined` members, as `-o json|yaml` prints it. */
export function viewDocument(view: ExecutionView): unknown {
  return JSON.parse(JSON.stringify(view)) as unknown;
}
