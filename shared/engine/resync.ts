/**
 * The scheduler's resync duties, run on every call (events and the periodic tick): re-request attempts
 * nobody claimed, request retries that are due, fail attempts whose timeout passed, and mark attempts
 * that stopped showing progress `Unknown` (and request them again, same attempt, same identity).
 */
import { formatDuration, parseDuration } from '../api/index.js';
import { applyFailure } from './attempt.js';
import type { DecisionContext } from './schedule-context.js';
import { elapsedMs, requestFor } from './schedule-context.js';
import type { ActionView, StageView } from './status-tree.js';
import { allActions } from './status-tree.js';

/** The webhook default; an unreadable timeout falls back to it. */
export const DEFAULT_ACTION_TIMEOUT_MS = 5 * 60_000;

/** The action's timeout in ms; `undefined` for `0` (no timeout). */
export function actionTimeoutMs(timeout: string | undefined): number | undefined {
  const ms = parseDuration(timeout ?? '') ?? DEFAULT_ACTION_TIMEOUT_MS;
  return ms > 0 ? ms : undefined;
}

function request(ctx: DecisionContext, view: ActionView): void {
  view.status.requestedAt = ctx.at;
  delete view.status.nextAttemptAt;
  ctx.requests.push(requestFor(view));
}

/** How long run-action may take to record the timeout it enforces itself (it takes milliseconds). */
export const RECORD_GRACE_MS = 5000;

/**
 * Past its timeout, counted from the claim (or the re-drive). run-action fails an HTTP or API attempt at
 * its timeout itself and needs a moment to record it, so such an attempt counts as lost only a little
 * later (RECORD_GRACE_MS, or the request timeout when that is shorter); a Job's timeout is enforced
 * here, at once. The grace is short because a lost attempt waits through it before it is re-driven.
 */
function timedOut(ctx: DecisionContext, view: ActionView): boolean {
  const timeout = actionTimeoutMs(view.spec.timeout);
  if (timeout === undefined) return false;
  const grace = view.spec.type === 'Job' ? 0 : Math.min(RECORD_GRACE_MS, ctx.requestTimeoutMs);
  const { redrivenAt, attemptStartTime, startTime, lastUpdateTime } = view.status;
  return elapsedMs(redrivenAt ?? attemptStartTime ?? startTime ?? lastUpdateTime, ctx.now) >= timeout + grace;
}

/**
 * run-action enforces an HTTP or API action's timeout itself and records the failure; an attempt still
 * Running a request timeout past it means run-action lost it (crashed, restarted). Its effect may
 * already have happened, so it is requested again with the same identity — the same Idempotency-Key,
 * the same object names — once, with a second deadline. A Job's timeout is real (the Job runs on its
 * own): it fails the attempt.
 */
function redrive(ctx: DecisionContext, view: ActionView): boolean {
  if (view.spec.type === 'Job' || view.status.redrivenAt !== undefined) return false;
  view.status.redrivenAt = ctx.at;
  view.status.phase = 'Unknown';
  view.status.message = `attempt ${view.status.attempt ?? 1} had no result within ${view.spec.timeout}; requested again with the same identity`;
  request(ctx, view);
  return true;
}

function timeOut(ctx: DecisionContext, view: ActionView): void {
  if (redrive(ctx, view)) return;
  ctx.timedOut.push(requestFor(view));
  // an HTTP request lost with its attempt may have had its effect: the next attempt keeps its key
  if (view.spec.type === 'HTTP')
    view.status.outputs = { ...view.status.outputs, unsettledAttempt: view.status.outputs?.unsettledAttempt ?? view.status.attempt ?? 1 };
  const failure = { path: view.path, message: `timed out after ${view.spec.timeout}`, retryable: true, policy: view.spec.retryPolicy };
  ctx.events.push(applyFailure(view.status, failure, ctx.now).event);
}

function resyncPending(ctx: DecisionContext, view: ActionView): void {
  const { requestedAt, nextAttemptAt } = view.status;
  if (requestedAt !== undefined) {
    // a first attempt nobody claimed waits while the execution is paused (run-action does not claim it)
    const unstarted = view.status.startTime === undefined;
    if (ctx.resuming && unstarted) request(ctx, view);
    else if (!(ctx.paused && unstarted) && elapsedMs(requestedAt, ctx.now) > ctx.requestTimeoutMs) request(ctx, view);
    return;
  }
  if (nextAttemptAt === undefined || elapsedMs(nextAttemptAt, ctx.now) >= 0) request(ctx, view);
}

function resyncRunning(ctx: DecisionContext, view: ActionView): void {
  const { lastUpdateTime, attemptStartTime } = view.status;
  if (elapsedMs(lastUpdateTime ?? attemptStartTime, ctx.now) < ctx.unknownAfterMs) return;
  view.status.phase = 'Unknown';
  view.status.message = `no progress for ${formatDuration(ctx.unknownAfterMs)}; attempt ${view.status.attempt ?? 1} requested again`;
  request(ctx, view);
}

function resyncAction(ctx: DecisionContext, view: ActionView): void {
  const running = view.status.phase === 'Running' || view.status.phase === 'Unknown';
  if (running && timedOut(ctx, view)) timeOut(ctx, view);
  const { phase, attempt, requestedAt } = view.status;
  if (phase === 'Pending' && attempt !== undefined) resyncPending(ctx, view);
  else if (phase === 'Running') resyncRunning(ctx, view);
  else if (phase === 'Unknown' && elapsedMs(requestedAt, ctx.now) > ctx.requestTimeoutMs) request(ctx, view);
}

export function resync(ctx: DecisionContext, stages: readonly StageView[]): void {
  for (const view of allActions(stages)) resyncAction(ctx, view);
}
