/**
 * Cancellation: nothing new is requested; what has not started is Skipped ("cancelled"); running
 * attempts are Failed ("cancelled while running") and handed back so the caller deletes their Jobs.
 */
import type { StageStatus, WorkflowExecutionStatus } from '../api/index.js';
import type { DecisionContext } from './schedule-context.js';
import { finishNode, requestFor } from './schedule-context.js';
import type { ActionView, StageView } from './status-tree.js';

export const CANCELLED = 'cancelled';
/** The message of an attempt stopped by cancel; its late outcome, when run-action learns it, is appended. */
export const CANCELLED_WHILE_RUNNING = 'cancelled while running';

function cancelAction(ctx: DecisionContext, view: ActionView): void {
  const status = view.status;
  if (status.phase === 'Running' || status.phase === 'Unknown') {
    ctx.cancelled.push(requestFor(view));
    status.phase = 'Failed';
    status.message = CANCELLED_WHILE_RUNNING;
    status.completionTime = ctx.at;
  } else if (status.phase === 'Pending') {
    status.phase = 'Skipped';
    status.message = CANCELLED;
  } else {
    return;
  }
  delete status.requestedAt;
  delete status.nextAttemptAt;
}

function cancelNode(ctx: DecisionContext, node: StageStatus | WorkflowExecutionStatus): void {
  if (node.phase === 'Pending') {
    node.phase = 'Skipped';
    node.message = CANCELLED;
  } else if (node.phase === 'Running') {
    finishNode(node, 'Failed', CANCELLED, ctx.at);
  }
}

/** Cancels every stage, workflow and action not yet done; the attempts it stops go to `ctx.cancelled`. */
export function cancelAll(ctx: DecisionContext, stages: readonly StageView[]): void {
  for (const stage of stages) {
    for (const workflow of stage.workflows) {
      for (const action of workflow.actions) cancelAction(ctx, action);
      cancelNode(ctx, workflow.status);
      delete workflow.status.currentAction;
    }
    cancelNode(ctx, stage.status);
  }
}
