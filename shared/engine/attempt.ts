/**
 * Attempt bookkeeping for run-action (pure): claim a requested attempt, record its result, show that it
 * is alive. Each works on a copy and reports whether it changed anything, so a duplicate or late call is
 * a no-op the caller does not write.
 */
import type { ActionOutputs, ActionStatus, DRPlanExecutionStatus, RetryPolicy } from '../api/index.js';
import { formatDuration } from '../api/index.js';
import type { TransitionEvent } from './transitions.js';
import { EventReasons, normalEvent, warningEvent } from './transitions.js';
import { retriesLeft, retryDelayMs, retryLimit } from './retry.js';
import { withActionCopy } from './status-tree.js';
import { CANCELLED_WHILE_RUNNING } from './cancel.js';

export type AttemptResult =
  { ok: true; message?: string; outputs?: ActionOutputs } | { ok: false; retryable: boolean; message: string; outputs?: ActionOutputs };

export interface ClaimOutcome {
  status: DRPlanExecutionStatus;
  claimed: boolean;
  events: TransitionEvent[];
}

export interface RecordOutcome {
  status: DRPlanExecutionStatus;
  recorded: boolean;
  /** When the next attempt is due, if the failure is retried. */
  retryAt?: Date;
  events: TransitionEvent[];
}

export interface HeartbeatOutcome {
  status: DRPlanExecutionStatus;
  changed: boolean;
}

/** A failed attempt, as run-action reports it or as the scheduler finds it (timeout). */
export interface AttemptFailure {
  path: string;
  message: string;
  retryable: boolean;
  policy?: Partial<RetryPolicy> | undefined;
  outputs?: ActionOutputs | undefined;
}

interface Transition {
  event: TransitionEvent;
  retryAt?: Date;
}

const isRunning = (action: ActionStatus): boolean => action.phase === 'Running' || action.phase === 'Unknown';

function setOutputs(action: ActionStatus, outputs: ActionOutputs | undefined): void {
  if (outputs !== undefined) action.outputs = outputs;
}

/** Pending with this attempt and not waiting for a later retry, or Unknown with this attempt. */
function claimable(action: ActionStatus, attempt: number, now: Date): boolean {
  if (action.attempt !== attempt) return false;
  if (action.phase === 'Unknown') return true;
  if (action.phase !== 'Pending') return false;
  if (action.requestedAt !== undefined || action.nextAttemptAt === undefined) return true;
  return Date.parse(action.nextAttemptAt) <= now.getTime();
}

export function claimAttempt(status: DRPlanExecutionStatus, path: string, attempt: number, now: Date): ClaimOutcome {
  const copy = withActionCopy(status, path);
  if (copy === undefined || !claimable(copy.action, attempt, now)) return { status, claimed: false, events: [] };
  const { next, action } = copy;
  const at = now.toISOString();
  const resumed = action.phase === 'Unknown';
  action.phase = 'Running';
  if (resumed) delete action.message;
  else {
    // the first attempt starts with the action (`startTime`); only a later one needs its own start
    if (action.startTime === undefined) delete action.attemptStartTime;
    else action.attemptStartTime = at;
    delete action.redrivenAt;
  }
  action.startTime ??= at;
  action.lastUpdateTime = at;
  delete action.requestedAt;
  delete action.nextAttemptAt;
  next.lastUpdateTime = at;
  const message = `Action ${path}: attempt ${attempt} ${resumed ? 'resumed after contact was lost' : 'started'}`;
  return { status: next, claimed: true, events: [normalEvent(EventReasons.ActionStarted, message, path)] };
}

function succeed(action: ActionStatus, path: string, result: { message?: string; outputs?: ActionOutputs }, at: string): Transition {
  const attempt = action.attempt ?? 1;
  action.phase = 'Succeeded';
  const message = result.message ?? (attempt > 1 ? `succeeded on attempt ${attempt}` : undefined);
  if (message === undefined) delete action.message;
  else action.message = message;
  action.completionTime = at;
  delete action.lastUpdateTime; // progress is for a running action; a finished one has completionTime
  setOutputs(action, result.outputs);
  return { event: normalEvent(EventReasons.ActionSucceeded, `Action ${path} succeeded`, path) };
}

function retry(action: ActionStatus, failure: AttemptFailure, now: Date): Transition {
  const attempt = action.attempt ?? 1;
  const retries = action.retryCount ?? 0;
  const delay = retryDelayMs(failure.policy, retries);
  const retryAt = new Date(now.getTime() + delay);
  action.phase = 'Pending';
  action.attempt = attempt + 1;
  action.retryCount = retries + 1;
  action.nextAttemptAt = retryAt.toISOString();
  action.message = `attempt ${attempt} failed: ${failure.message}; retry ${retries + 1} of ${retryLimit(failure.policy)} in ${formatDuration(delay)}`;
  action.lastUpdateTime = now.toISOString();
  delete action.requestedAt;
  delete action.attemptStartTime;
  setOutputs(action, failure.outputs);
  return { event: warningEvent(EventReasons.ActionRetrying, `Action ${failure.path}: ${action.message}`, failure.path), retryAt };
}

function fail(action: ActionStatus, failure: AttemptFailure, at: string): Transition {
  const attempt = action.attempt ?? 1;
  action.phase = 'Failed';
  action.message = attempt > 1 ? `${failure.message} (after ${attempt} attempts)` : failure.message;
  action.completionTime = at;
  delete action.lastUpdateTime; // progress is for a running action; a finished one has completionTime
  delete action.requestedAt;
  delete action.nextAttemptAt;
  setOutputs(action, failure.outputs);
  return { event: warningEvent(EventReasons.ActionFailed, `Action ${failure.path} failed: ${action.message}`, failure.path) };
}

/**
 * A failed attempt, applied to `action` in place (callers pass their own copy): the next attempt when the
 * failure is retryable and retries are left, otherwise `Failed`.
 */
export function applyFailure(action: ActionStatus, failure: AttemptFailure, now: Date): Transition {
  if (failure.retryable && retriesLeft(failure.policy, action.retryCount ?? 0)) return retry(action, failure, now);
  return fail(action, failure, now.toISOString());
}

/** Records the result of an attempt; a result for an attempt that is not Running (or Unknown) is ignored. */
/** What run-action reports for one attempt; `policy` is the action's retryPolicy (absent: the default). */
export interface AttemptReport {
  path: string;
  attempt: number;
  result: AttemptResult;
  policy?: RetryPolicy | undefined;
  now: Date;
}

export function recordAttempt(status: DRPlanExecutionStatus, report: AttemptReport): RecordOutcome {
  const { path, attempt, result, policy, now } = report;
  const copy = withActionCopy(status, path);
  if (copy?.action.attempt !== attempt || !isRunning(copy.action)) return { status, recorded: false, events: [] };
  const { next, action } = copy;
  const at = now.toISOString();
  const transition = result.ok
    ? succeed(action, path, result, at)
    : applyFailure(action, { path, message: result.message, retryable: result.retryable, policy, outputs: result.outputs }, now);
  next.lastUpdateTime = at;
  const outcome: RecordOutcome = { status: next, recorded: true, events: [transition.event] };
  if (transition.retryAt !== undefined) outcome.retryAt = transition.retryAt;
  return outcome;
}

/** What an attempt learned after cancel stopped it: how its request ended (a revert reads the outputs). */
function lateOutcome(result: AttemptResult): string {
  if (!result.ok)
    return result.message.startsWith(`${CANCELLED_WHILE_RUNNING}; `) ? result.message.slice(CANCELLED_WHILE_RUNNING.length + 2) : `then: ${result.message}`;
  const code = result.outputs?.httpResponse?.statusCode;
  return `it completed all the same${code === undefined ? '' : ` (HTTP ${code})`}${result.message === undefined ? '' : `: ${result.message}`}`;
}

/**
 * The result of an attempt that cancel stopped while it ran ("cancelled while running"), arriving after:
 * the action stays Failed, and its message and outputs say what became of it — a request answered after
 * all, or aborted in flight — so the people reading it, and a revert, know what may have happened.
 * Recorded once; anything else is ignored.
 */
export function recordLateOutcome(status: DRPlanExecutionStatus, report: AttemptReport): RecordOutcome {
  const { path, attempt, result, now } = report;
  const copy = withActionCopy(status, path);
  if (copy?.action.attempt !== attempt || copy.action.phase !== 'Failed' || copy.action.message !== CANCELLED_WHILE_RUNNING) {
    return { status, recorded: false, events: [] };
  }
  const { next, action } = copy;
  action.message = `${CANCELLED_WHILE_RUNNING}; ${lateOutcome(result)}`;
  setOutputs(action, result.outputs);
  next.lastUpdateTime = now.toISOString();
  return { status: next, recorded: true, events: [warningEvent(EventReasons.ActionFailed, `Action ${path}: ${action.message}`, path)] };
}

/** Shows that attempt `attempt` is alive: `lastUpdateTime` moves on, and an Unknown attempt is Running again. */
export function heartbeat(status: DRPlanExecutionStatus, path: string, attempt: number, now: Date): HeartbeatOutcome {
  const copy = withActionCopy(status, path);
  const at = now.toISOString();
  if (copy?.action.attempt !== attempt || !isRunning(copy.action)) return { status, changed: false };
  const { next, action } = copy;
  if (action.phase === 'Running' && action.lastUpdateTime === at) return { status, changed: false };
  if (action.phase === 'Unknown') delete action.message;
  action.phase = 'Running';
  action.lastUpdateTime = at;
  delete action.requestedAt;
  next.lastUpdateTime = at;
  return { status: next, changed: true };
}
