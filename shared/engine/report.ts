/**
 * The report of one execution against its recovery time objective (pure): total time, time per stage,
 * workflow and action, the critical path (the chain of stages, and in each the workflow, that decided
 * when the run ended), retries and the time spent on earlier attempts, waits between stages, and the
 * comparison with `objectives.rto`. `drplan report` prints it as text, Markdown or JSON.
 */
import type { ActionStatus, DRPlanExecution, StageStatus, WorkflowExecutionStatus } from '../api/index.js';
import { formatDuration, parseDuration } from '../api/index.js';

export interface ActionReport {
  name: string;
  phase: string;
  durationMs?: number | undefined;
  attempts: number;
  retries: number;
  /** Time before the last attempt started: earlier attempts and their backoff. */
  retryMs: number;
  message?: string | undefined;
}

export interface WorkflowReport {
  workflow: string;
  phase: string;
  durationMs?: number | undefined;
  actions: ActionReport[];
}

export interface StageReport {
  name: string;
  phase: string;
  /** From the execution's start to the stage's start. */
  startOffsetMs?: number | undefined;
  durationMs?: number | undefined;
  /** Between the end of what the stage waited for (its critical predecessor, or the start) and its own start. */
  waitMs?: number | undefined;
  workflows: WorkflowReport[];
}

export interface ObjectiveReport {
  rtoMs: number;
  met: boolean;
  /** Objective minus duration: negative when exceeded. */
  marginMs: number;
}

export interface ExecutionReport {
  name: string;
  namespace: string;
  plan: string;
  operation: string;
  phase: string;
  startTime?: string | undefined;
  completionTime?: string | undefined;
  durationMs?: number | undefined;
  objective?: ObjectiveReport | undefined;
  stages: StageReport[];
  /** Stage names, first to last, each with the workflow of it that ended last: what the end waited for. */
  criticalPath: { stage: string; workflow?: string | undefined; durationMs?: number | undefined }[];
  retries: number;
  retryMs: number;
  /** Summed waits between stages (orchestration, not work). */
  waitMs: number;
}

const time = (iso: string | undefined): number | undefined => {
  const ms = Date.parse(iso ?? '');
  return Number.isNaN(ms) ? undefined : ms;
};
const between = (start: string | undefined, end: string | undefined): number | undefined => {
  const from = time(start);
  const to = time(end);
  return from === undefined || to === undefined ? undefined : Math.max(0, to - from);
};

function actionReport(action: ActionStatus): ActionReport {
  const retries = action.retryCount ?? 0;
  return {
    name: action.name,
    phase: action.phase,
    durationMs: between(action.startTime, action.completionTime),
    attempts: action.attempt ?? (action.startTime === undefined ? 0 : 1),
    retries,
    retryMs: retries > 0 ? (between(action.startTime, action.attemptStartTime) ?? 0) : 0,
    message: action.message,
  };
}

function workflowReport(workflow: WorkflowExecutionStatus): WorkflowReport {
  const ref = workflow.workflowRef;
  return {
    workflow: `${ref.namespace === undefined ? '' : `${ref.namespace}/`}${ref.name}`,
    phase: workflow.phase,
    durationMs: between(workflow.startTime, workflow.completionTime),
    actions: (workflow.actionStatuses ?? []).map(actionReport),
  };
}

/** The stage that ended last at or before `stage` started: what it waited for (undefined: the execution's start). */
function predecessor(stage: StageStatus, stages: readonly StageStatus[]): StageStatus | undefined {
  const start = time(stage.startTime);
  if (start === undefined) return undefined;
  let best: StageStatus | undefined;
  for (const other of stages) {
    const end = time(other.completionTime);
    if (other === stage || end === undefined || end > start) continue;
    if (best === undefined || end > (time(best.completionTime) ?? -Infinity)) best = other;
  }
  return best;
}

function stageReport(stage: StageStatus, stages: readonly StageStatus[], startTime: string | undefined): StageReport {
  const before = predecessor(stage, stages);
  return {
    name: stage.name,
    phase: stage.phase,
    startOffsetMs: between(startTime, stage.startTime),
    durationMs: between(stage.startTime, stage.completionTime),
    waitMs: between(before?.completionTime ?? startTime, stage.startTime),
    workflows: (stage.workflowExecutions ?? []).map(workflowReport),
  };
}

function lastEnded<T extends { completionTime?: string | undefined }>(items: readonly T[]): T | undefined {
  let last: T | undefined;
  for (const item of items) {
    if (time(item.completionTime) === undefined) continue;
    if (last === undefined || (time(item.completionTime) ?? 0) >= (time(last.completionTime) ?? 0)) last = item;
  }
  return last;
}

/** From the stage that ended last back through the stage each one waited for. */
function criticalPath(stages: readonly StageStatus[]): ExecutionReport['criticalPath'] {
  const path: ExecutionReport['criticalPath'] = [];
  const seen = new Set<StageStatus>();
  for (let stage = lastEnded(stages); stage !== undefined && !seen.has(stage); stage = predecessor(stage, stages)) {
    seen.add(stage);
    const workflow = lastEnded(stage.workflowExecutions ?? []);
    path.unshift({
      stage: stage.name,
      workflow: workflow === undefined ? undefined : workflowReport(workflow).workflow,
      durationMs: between(stage.startTime, stage.completionTime),
    });
  }
  return path;
}

function objectiveOf(execution: DRPlanExecution, durationMs: number | undefined): ObjectiveReport | undefined {
  const rto = execution.status?.resolved?.objectives?.rto;
  const rtoMs = rto === undefined ? undefined : parseDuration(rto);
  if (rtoMs === undefined || durationMs === undefined) return undefined;
  return { rtoMs, met: execution.status?.phase === 'Succeeded' && durationMs <= rtoMs, marginMs: rtoMs - durationMs };
}

export function executionReport(execution: DRPlanExecution): ExecutionReport {
  const status = execution.status ?? {};
  const stageStatuses = status.stageStatuses ?? [];
  const stages = stageStatuses.map((stage) => stageReport(stage, stageStatuses, status.startTime));
  const actions = stages.flatMap((stage) => stage.workflows.flatMap((workflow) => workflow.actions));
  const durationMs = between(status.startTime, status.completionTime);
  return {
    name: execution.metadata.name ?? '',
    namespace: execution.metadata.namespace ?? 'default',
    plan: execution.spec.planRef,
    operation: execution.spec.operationType,
    phase: status.phase ?? 'Pending',
    startTime: status.startTime,
    completionTime: status.completionTime,
    durationMs,
    objective: objectiveOf(execution, durationMs),
    stages,
    criticalPath: criticalPath(stageStatuses),
    retries: actions.reduce((total, action) => total + action.retries, 0),
    retryMs: actions.reduce((total, action) => total + action.retryMs, 0),
    waitMs: stages.reduce((total, stage) => total + (stage.waitMs ?? 0), 0),
  };
}

const show = (ms: number | undefined): string => (ms === undefined ? '-' : formatDuration(ms));

/** One line on the objective: met, exceeded, or none set. */
export function objectiveLine(report: ExecutionReport): string {
  const { objective } = report;
  if (objective === undefined) return 'objective: none set (spec.objectives.rto on the plan)';
  const versus = `${show(report.durationMs)} of the ${formatDuration(objective.rtoMs)} RTO`;
  if (objective.marginMs < 0) return `objective: EXCEEDED — ${versus}, over by ${formatDuration(-objective.marginMs)}`;
  return objective.met ? `objective: met — ${versus} (${formatDuration(objective.marginMs)} to spare)` : `objective: not met — ${report.phase} after ${versus}`;
}

/** The report as plain text, for a terminal. */
export function reportText(report: ExecutionReport): string {
  const lines = [
    `execution ${report.namespace}/${report.name} (${report.operation} of plan ${report.plan}): ${report.phase} in ${show(report.durationMs)}`,
    objectiveLine(report),
    `critical path: ${report.criticalPath.map((step) => `${step.stage}${step.workflow === undefined ? '' : ` [${step.workflow}]`} ${show(step.durationMs)}`).join(' → ') || '-'}`,
    `retries: ${report.retries} (${show(report.retryMs)} on earlier attempts); waits between stages: ${show(report.waitMs)}`,
    '',
  ];
  for (const stage of report.stages) {
    lines.push(`stage ${stage.name}: ${stage.phase}, ${show(stage.durationMs)} (started at +${show(stage.startOffsetMs)}, waited ${show(stage.waitMs)})`);
    for (const workflow of stage.workflows) {
      lines.push(`  workflow ${workflow.workflow}: ${workflow.phase}, ${show(workflow.durationMs)}`);
      for (const action of workflow.actions) {
        const retried = action.retries > 0 ? `, ${action.retries} ${action.retries === 1 ? 'retry' : 'retries'} (${show(action.retryMs)})` : '';
        lines.push(`    ${action.name}: ${action.phase}, ${show(action.durationMs)}${retried}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The report as Markdown, for a change record. */
export function reportMarkdown(report: ExecutionReport): string {
  const lines = [
    `## ${report.operation} ${report.namespace}/${report.name} — ${report.phase}`,
    '',
    `- Plan: \`${report.plan}\``,
    `- Started: ${report.startTime ?? '-'}; ended: ${report.completionTime ?? '-'}; took **${show(report.durationMs)}**`,
    `- ${objectiveLine(report).replace(/^objective: /, 'Objective: ')}`,
    `- Critical path: ${report.criticalPath.map((step) => `${step.stage} (${show(step.durationMs)})`).join(' → ') || '-'}`,
    `- Retries: ${report.retries} (${show(report.retryMs)} on earlier attempts); waits between stages: ${show(report.waitMs)}`,
    '',
    '| Stage | Workflow | Action | Phase | Duration | Retries |',
    '|---|---|---|---|---|---|',
  ];
  for (const stage of report.stages) {
    lines.push(`| ${cell(stage.name)} | | | ${stage.phase} | ${show(stage.durationMs)} | |`);
    for (const workflow of stage.workflows) {
      for (const action of workflow.actions) {
        lines.push(`| | ${cell(workflow.workflow)} | ${cell(action.name)} | ${action.phase} | ${show(action.durationMs)} | ${action.retries} |`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
