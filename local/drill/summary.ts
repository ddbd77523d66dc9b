/**
 * The drill's closing summary: each execution as a tree with phases and durations, every request the
 * demo target saw (method, path, status, Idempotency-Key), its state after each step, the example's
 * ConfigMaps and the objects the execution created, the timings, and the verdict. Durations are the
 * drill's own observations (milliseconds); the status keeps seconds only.
 */
import { relative } from 'node:path';
import type { ActionStatus, DRPlanExecutionStatus, StageStatus, WorkflowExecutionStatus } from '../../shared/api/index.js';
import { actionPath, workflowPath } from '../../shared/engine/action-path.js';
import { initialState, type ApplicationState, type RecordedRequest } from '../demo-target/index.js';
import type { Level } from './progress.js';
import type { ConfigMapCheck, CreatedObject, DrillReport, ExecutionReport } from './run.js';

export interface Timings {
  /** Build, API server, functions, eventing and demo target. */
  startMs: number;
  totalMs: number;
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(2)}s`;

function durationOf(report: ExecutionReport, level: Level, path: string, fallback: string | undefined): string {
  const { startMs, endMs } = report.tracker.timing(level, path);
  if (startMs !== undefined && endMs !== undefined) return secs(endMs - startMs);
  return fallback ?? '-';
}

const row = (indent: number, label: string, phase: string, rest: string): string =>
  `${'  '.repeat(indent)}${label.padEnd(56 - indent * 2)} ${phase.padEnd(9)} ${rest}`;

function actionRows(report: ExecutionReport, stage: string, index: number, actions: readonly ActionStatus[]): string[] {
  return actions.map((action) => {
    const path = actionPath(stage, index, action.name);
    const attempts = action.attempt === undefined ? '' : `  ${action.attempt} attempt${action.attempt === 1 ? '' : 's'}`;
    const message = action.phase === 'Succeeded' || action.message === undefined ? '' : `  ${action.message}`;
    return row(3, `action ${action.name}`, action.phase, `${durationOf(report, 'action', path, undefined)}${attempts}${message}`);
  });
}

function workflowRows(report: ExecutionReport, stage: StageStatus): string[] {
  return (stage.workflowExecutions ?? []).flatMap((workflow: WorkflowExecutionStatus, index) => [
    row(
      2,
      `workflow ${workflow.workflowRef.name} (${workflowPath(stage.name, index)})`,
      workflow.phase,
      durationOf(report, 'workflow', workflowPath(stage.name, index), workflow.duration),
    ),
    ...actionRows(report, stage.name, index, workflow.actionStatuses ?? []),
  ]);
}

function executionRows(title: string, report: ExecutionReport): string[] {
  const status: DRPlanExecutionStatus = report.status;
  const progress = status.progress === undefined ? '' : `, ${status.progress}`;
  const message = report.phase === 'Succeeded' || report.message === undefined ? '' : ` — ${report.message}`;
  return [
    `${title} ${report.namespace}/${report.name}: ${report.phase} in ${secs(report.elapsedMs)}${progress}${message}`,
    ...(status.stageStatuses ?? []).flatMap((stage) => [
      row(1, `stage ${stage.name}`, stage.phase, durationOf(report, 'stage', stage.name, stage.duration)),
      ...workflowRows(report, stage),
    ]),
  ];
}

function requestRows(report: DrillReport): string[] {
  const origin = report.execute.createdMs;
  const count = report.requests.length;
  const header = `The demo target (${report.targetUrl}) saw ${count} request${count === 1 ? '' : 's'}, ${report.duplicates} duplicate${report.duplicates === 1 ? '' : 's'}${count === 0 ? '' : ':'}`;
  return [
    header,
    ...report.requests.map((request: RecordedRequest) => {
      const took = request.finishedMs === undefined ? '' : ` (${secs(request.finishedMs - request.startedMs)})`;
      const status = String(request.status ?? '…');
      return `  +${secs(request.startedMs - origin).padStart(7)}  ${request.method.padEnd(4)} ${request.path.padEnd(24)} ${status}${took}  Idempotency-Key ${request.idempotencyKey ?? '(none)'}${request.duplicate ? '  DUPLICATE' : ''}`;
    }),
  ];
}

function describeState(state: ApplicationState): string {
  const inMaintenance = Object.entries(state.maintenance)
    .filter(([, on]) => on)
    .map(([site]) => site);
  return `traffic → ${state.traffic}, maintenance: ${inMaintenance.join(', ') || 'none'}, database fenced: ${state.fenced.join(', ') || 'none'}`;
}

function stateRows(report: DrillReport): string[] {
  const rows = [`Target state after the execute: ${describeState(report.targetAfterExecute)}`];
  if (report.targetAfterRevert !== undefined) {
    const back = JSON.stringify(report.targetAfterRevert) === JSON.stringify(initialState());
    rows.push(`Target state after the revert:  ${describeState(report.targetAfterRevert)}${back ? ' (as at the start)' : ''}`);
  }
  return rows;
}

const dataText = (data: Record<string, string> | undefined): string => (data === undefined ? '(absent)' : JSON.stringify(data));

function configMapRows(checks: readonly ConfigMapCheck[]): string[] {
  return checks.flatMap((check) => [
    `ConfigMap ${check.key.namespace ?? ''}/${check.key.name}:`,
    `  before          ${dataText(check.before)}`,
    `  after execute   ${dataText(check.afterExecute)}`,
    ...(check.afterRevert === undefined && check.before === undefined ? [] : [`  after revert    ${dataText(check.afterRevert)}`]),
  ]);
}

function createdRows(created: readonly CreatedObject[]): string[] {
  if (created.length === 0) return [];
  return [
    'Objects the execute created:',
    ...created.map((object) => {
      const revert = object.afterRevert === undefined ? '' : object.afterRevert ? ', still there after the revert' : ', deleted by the revert';
      return `  ${object.key.kind} ${object.key.namespace ?? ''}/${object.key.name}: ${object.afterExecute ? 'present after the execute' : 'absent after the execute'}${revert}`;
    }),
  ];
}

/** Idempotency keys that reached the target more than once. */
export function repeatedKeys(requests: readonly RecordedRequest[]): string[] {
  const counts = new Map<string, number>();
  for (const { idempotencyKey } of requests) if (idempotencyKey !== undefined) counts.set(idempotencyKey, (counts.get(idempotencyKey) ?? 0) + 1);
  return [...counts].filter(([, count]) => count > 1).map(([key]) => key);
}

function executionProblems(report: DrillReport, expectRevert: boolean): string[] {
  const problems: string[] = [];
  if (report.execute.phase !== 'Succeeded') problems.push(`the execute ended ${report.execute.phase}: ${report.execute.message ?? ''}`);
  if (expectRevert && report.revert === undefined) problems.push('the example has no Revert execution');
  if (report.revert !== undefined && report.revert.phase !== 'Succeeded')
    problems.push(`the revert ended ${report.revert.phase}: ${report.revert.message ?? ''}`);
  return problems;
}

function targetProblems(report: DrillReport): string[] {
  const problems: string[] = [];
  if (report.duplicates > 0) problems.push(`the demo target saw ${report.duplicates} duplicate request(s)`);
  const repeated = repeatedKeys(report.requests);
  if (repeated.length > 0) problems.push(`Idempotency-Key sent more than once: ${repeated.join(', ')}`);
  return problems;
}

/** After a Succeeded revert: what the execute created is gone and the example's ConfigMaps are as before. */
function undoProblems(report: DrillReport): string[] {
  if (report.revert?.phase !== 'Succeeded') return [];
  const left = report.created
    .filter((object) => object.afterRevert === true)
    .map((object) => `${object.key.kind} ${object.key.namespace ?? ''}/${object.key.name} still exists after the revert`);
  const changed = report.configMaps
    .filter((check) => JSON.stringify(check.afterRevert) !== JSON.stringify(check.before))
    .map((check) => `ConfigMap ${check.key.namespace ?? ''}/${check.key.name} was not restored by the revert`);
  return [...left, ...changed];
}

/** What makes the drill fail: an execution not Succeeded, a request sent twice, something not undone. */
export function drillProblems(report: DrillReport, expectRevert: boolean): string[] {
  return [...executionProblems(report, expectRevert), ...targetProblems(report), ...undoProblems(report)];
}

export function summaryText(report: DrillReport, timings: Timings, problems: readonly string[]): string {
  const lines = [
    '',
    `Summary of the drill of ${relative(process.cwd(), report.exampleDir) || '.'}`,
    ...executionRows('Execute', report.execute),
    ...(report.revert === undefined ? [] : executionRows('Revert', report.revert)),
    ...requestRows(report),
    ...stateRows(report),
    ...configMapRows(report.configMaps),
    ...createdRows(report.created),
    `Timings: stack ready in ${secs(timings.startMs)} (build included), example applied and Ready in ${secs(report.setupMs)}, execute ${secs(report.execute.elapsedMs)}, revert ${report.revert === undefined ? '-' : secs(report.revert.elapsedMs)}, total ${secs(timings.totalMs)}`,
    problems.length === 0
      ? 'Result: OK — execute and revert Succeeded, every request reached the target once'
      : `Result: FAILED\n${problems.map((p) => `  - ${p}`).join('\n')}`,
  ];
  return `${lines.join('\n')}\n`;
}
