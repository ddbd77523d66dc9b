/**
 * One workflow of a running stage: its actions run one at a time, in order. An action is skipped when
 * its rendered `when` is false, when an action it depends on did not succeed, after a failure under
 * FailFast, or when its stage stops its workflows.
 */
import { EventReasons, normalEvent, warningEvent } from './transitions.js';
import type { DecisionContext } from './schedule-context.js';
import { finishNode, requestFor, SKIPPED_BY_DECISION, startNode } from './schedule-context.js';
import type { ActionView, WorkflowView } from './status-tree.js';
import { isActive, isDone, isUnreached } from './status-tree.js';

/** Messages of what a failure elsewhere stopped start with this; a stopped workflow or stage ends Failed. */
export const STOPPED = 'stopped: ';

export const isStopped = (node: { phase: string; message?: string | undefined }): boolean =>
  (node.phase === 'Failed' || node.phase === 'Skipped') && (node.message?.startsWith(STOPPED) ?? false);

const FALSE_WHEN: ReadonlySet<string> = new Set(['false', '0', '']);

/** A rendered `when` of `false`, `0` or empty (case-insensitive, trimmed) skips the action. */
export function whenSkips(when: string | undefined): boolean {
  return when !== undefined && FALSE_WHEN.has(when.trim().toLowerCase());
}

export function workflowLabel(workflow: WorkflowView): string {
  return `${workflow.path} (${workflow.spec.workflowRef.name})`;
}

function skipAction(view: ActionView, reason: string): void {
  view.status.phase = 'Skipped';
  view.status.message = reason;
}

/** A workflow that never starts: it and its unreached actions are Skipped for `reason`. */
export function skipWorkflow(workflow: WorkflowView, reason: string): void {
  workflow.status.phase = 'Skipped';
  workflow.status.message = reason;
  for (const action of workflow.actions) if (isUnreached(action.status)) skipAction(action, reason);
}

export function startWorkflow(ctx: DecisionContext, workflow: WorkflowView): void {
  startNode(workflow.status, ctx.at);
  ctx.events.push(normalEvent(EventReasons.WorkflowStarted, `Workflow ${workflowLabel(workflow)} started`, workflow.path));
}

function failFastReason(workflow: WorkflowView): string | undefined {
  if (workflow.spec.failurePolicy !== 'FailFast') return undefined;
  const failed = workflow.actions.find((action) => action.status.phase === 'Failed');
  return failed === undefined ? undefined : `skipped: action "${failed.spec.name}" failed (workflow failurePolicy FailFast)`;
}

/** Succeeded, or skipped by a person's decision (it counts as done). */
const countsAsDone = (action: ActionView): boolean =>
  action.status.phase === 'Succeeded' || (action.status.phase === 'Skipped' && action.status.message?.startsWith(SKIPPED_BY_DECISION) === true);

function conditionSkip(workflow: WorkflowView, view: ActionView): string | undefined {
  if (whenSkips(view.spec.when)) return `skipped: when is ${JSON.stringify(view.spec.when ?? '')}`;
  for (const name of view.spec.dependsOn ?? []) {
    const dependency = workflow.actions.find((action) => action.spec.name === name);
    if (dependency === undefined) return `skipped: depends on action "${name}", which is not in this workflow`;
    if (!countsAsDone(dependency))
      return `skipped: depends on action "${name}", which ${dependency.status.phase === 'Pending' ? 'has not run' : dependency.status.phase}`;
  }
  return undefined;
}

function requestFirstAttempt(ctx: DecisionContext, view: ActionView): void {
  view.status.attempt = 1;
  view.status.requestedAt = ctx.at;
  ctx.requests.push(requestFor(view));
}

function completeWorkflow(ctx: DecisionContext, workflow: WorkflowView): void {
  const failed = workflow.actions.find((action) => action.status.phase === 'Failed');
  const stopped = workflow.actions.find((action) => isStopped(action.status));
  delete workflow.status.currentAction;
  if (failed === undefined && stopped === undefined) {
    finishNode(workflow.status, 'Succeeded', undefined, ctx.at);
    ctx.events.push(normalEvent(EventReasons.WorkflowSucceeded, `Workflow ${workflowLabel(workflow)} succeeded`, workflow.path));
    return;
  }
  const message = failed === undefined ? stopped?.status.message : `action "${failed.spec.name}" failed: ${failed.status.message ?? 'no message'}`;
  finishNode(workflow.status, 'Failed', message, ctx.at);
  ctx.events.push(warningEvent(EventReasons.WorkflowFailed, `Workflow ${workflowLabel(workflow)} failed: ${message ?? ''}`, workflow.path));
}

/** The next unreached action when nothing is under way: skipped (then look further) or requested (then wait). */
function reach(ctx: DecisionContext, workflow: WorkflowView, view: ActionView): 'skipped' | 'wait' {
  const skip = conditionSkip(workflow, view);
  if (skip !== undefined) {
    skipAction(view, skip);
    return 'skipped';
  }
  if (ctx.allowStarts) requestFirstAttempt(ctx, view);
  return 'wait';
}

/**
 * Advances a Running workflow: skips what must be skipped, requests the next action when none is under
 * way, and completes the workflow when every action is done. `stop` (a reason starting with `STOPPED`)
 * means the stage starts no further actions of this workflow.
 */
export function stepWorkflow(ctx: DecisionContext, workflow: WorkflowView, stop: string | undefined): void {
  if (workflow.status.phase !== 'Running') return;
  let waiting = false;
  for (const action of workflow.actions) {
    if (isDone(action.status.phase)) continue;
    if (isActive(action.status)) {
      waiting = true;
      continue;
    }
    const halt = stop ?? failFastReason(workflow);
    if (halt !== undefined) skipAction(action, halt);
    else if (waiting || reach(ctx, workflow, action) === 'wait') return;
  }
  if (!waiting) completeWorkflow(ctx, workflow);
}
