/**
 * The status tree of `drplan status`: a header with the phase and the overall progress bar, then each
 * stage → its workflows (with a progress bar each) → their actions, with phase, attempt, duration and
 * message, in aligned columns.
 */
import type { ActionView, ExecutionView, StageView, WorkflowView } from './execution-view.js';
import { isFinalPhase } from './execution-view.js';
import { elapsed, formatDuration, formatTime, percent, phaseMark, plain, progressBar, type Paint } from './format.js';

export interface TreeOptions {
  paint?: Paint;
  now?: Date;
  /** Cut long lines to this many columns (a terminal); undefined keeps them whole. */
  width?: number | undefined;
}

/** One row: the tree column (prefix, mark, name), the phase, and the rest. */
interface Row {
  tree: string;
  phase: string;
  detail: string;
}

const BAR_WIDTH = 20;

function actionDetail(action: ActionView, now: Date): string {
  const parts: string[] = [];
  if (action.attempt !== undefined) parts.push(`attempt ${action.attempt}`);
  const wait = action.nextAttemptAt === undefined ? undefined : Date.parse(action.nextAttemptAt) - now.getTime();
  if (wait !== undefined && wait > 0) parts.push(`retry in ${formatDuration(wait)}`);
  if (action.duration !== undefined && action.phase !== 'Pending') parts.push(action.duration);
  if (action.rollbackOf !== undefined) parts.push(`undoes ${action.rollbackOf}`);
  if (action.message !== undefined) parts.push(action.message);
  return parts.join('  ');
}

function workflowDetail(workflow: WorkflowView): string {
  const { done, total } = workflow.progress;
  const parts = [`${progressBar(done, total, BAR_WIDTH)} ${done}/${total}`];
  if (workflow.duration !== undefined) parts.push(workflow.duration);
  if (workflow.message !== undefined) parts.push(workflow.message);
  return parts.join('  ');
}

function stageDetail(stage: StageView): string {
  const facts = [stage.parallel ? 'parallel' : undefined, stage.dependsOn.length > 0 ? `after ${stage.dependsOn.join(', ')}` : undefined].filter(
    (fact): fact is string => fact !== undefined,
  );
  const parts = facts.length > 0 ? [`(${facts.join(', ')})`] : [];
  if (stage.duration !== undefined) parts.push(stage.duration);
  if (stage.message !== undefined) parts.push(stage.message);
  return parts.join('  ');
}

function workflowRows(workflow: WorkflowView, lastWorkflow: boolean, now: Date): Row[] {
  const branch = lastWorkflow ? '└─ ' : '├─ ';
  const below = lastWorkflow ? '   ' : '│  ';
  const rows: Row[] = [{ tree: `  ${branch}${phaseMark(workflow.phase)} ${workflow.workflow}`, phase: workflow.phase, detail: workflowDetail(workflow) }];
  workflow.actions.forEach((action, index) => {
    const twig = index === workflow.actions.length - 1 ? '└─ ' : '├─ ';
    rows.push({ tree: `  ${below}   ${twig}${phaseMark(action.phase)} ${action.name}`, phase: action.phase, detail: actionDetail(action, now) });
  });
  return rows;
}

function stageRows(stage: StageView, now: Date): Row[] {
  const rows: Row[] = [{ tree: `${phaseMark(stage.phase)} ${stage.name}`, phase: stage.phase, detail: stageDetail(stage) }];
  stage.workflows.forEach((workflow, index) => rows.push(...workflowRows(workflow, index === stage.workflows.length - 1, now)));
  return rows;
}

function header(view: ExecutionView, paint: Paint, now: Date): string[] {
  const operation = view.operation === 'Revert' ? `Revert of ${view.revertOf ?? '?'} (DRPlan ${view.plan})` : `Execute of DRPlan ${view.plan}`;
  const phase = `${paint(view.phase, `${phaseMark(view.phase)} ${view.phase}`)}${view.cancelRequested && !isFinalPhase(view.phase) ? '  (cancel requested)' : ''}`;
  const ms = elapsed(view.startTime, view.completionTime, now);
  const { done, total } = view.progress;
  const lines = [
    `DRPlanExecution ${view.namespace}/${view.name}  ${operation}`,
    `Phase     ${phase}`,
    `Started   ${formatTime(view.startTime)}${view.completionTime === undefined ? '' : `   finished ${formatTime(view.completionTime)}`}${ms === undefined ? '' : `   ${view.completionTime === undefined ? 'elapsed' : 'took'} ${formatDuration(ms)}`}`,
    `Progress  ${progressBar(done, total, BAR_WIDTH)} ${done}/${total} actions  ${percent(done, total)}`,
  ];
  if (view.message !== undefined) lines.push(`Message   ${view.message}`);
  return lines;
}

const cut = (text: string, room: number | undefined): string => (room === undefined || text.length <= room ? text : `${text.slice(0, Math.max(0, room - 1))}…`);

/** The whole tree as lines (no trailing newline). */
export function renderTree(view: ExecutionView, options: TreeOptions = {}): string[] {
  const paint = options.paint ?? plain;
  const now = options.now ?? new Date();
  const rows = view.stages.flatMap((stage) => stageRows(stage, now));
  const treeWidth = Math.max(0, ...rows.map((row) => row.tree.length));
  const room = options.width === undefined ? undefined : Math.max(10, options.width - treeWidth - 13);
  const body = rows.map((row) =>
    `${cut(row.tree.padEnd(treeWidth), options.width)}  ${paint(row.phase, row.phase.padEnd(9))}  ${cut(row.detail, room)}`.trimEnd(),
  );
  const none = view.stages.length === 0 ? ['(no stages yet: the execution has not started)'] : [];
  return [...header(view, paint, now).map((line) => cut(line, options.width)), '', ...body, ...none];
}
