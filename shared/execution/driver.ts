/**
 * The execution driver shared by plan-stages, revert and cancel: run the scheduler on the stored status,
 * write what it decided with one conditional status write through the execution store (a 409 goes to
 * the caller's retry loop, which reads again and decides again), and only then act on it — Kubernetes Events, deleting the Jobs of timed-out and
 * cancelled attempts, one action.requested reply per request, and on finish the plan's bookkeeping and
 * the execution.finished reply. A decision that changes nothing writes nothing and replies nothing.
 */
import { measuredOf, operationLabel, recordExecutionFinished } from '../runtime/metrics.js';
import { DEFAULT_RECONCILE_INTERVAL_MS } from '../function-deps.js';
import type { DRPlanExecutionStatus, ResolvedPlan } from '../api/index.js';
import type { ActionRequest } from '../engine/schedule-context.js';
import type { Decision, ScheduleOptions } from '../engine/scheduler.js';
import { schedule } from '../engine/scheduler.js';
import type { CoreDeps, Outcome, Reply } from '../function-deps.js';
import { recordFinish } from './finish.js';
import { deleteStoppedJobs } from './jobs.js';
import { recordEvents } from './kube-events.js';
import type { Loaded } from './objects.js';
import { cancelRequested, pauseRequested, skipsRequested } from './objects.js';
import { writeStatus } from './store.js';
import { actionRequestedReply, executionFinishedReply, notificationReplies } from './replies.js';

export interface ScheduleStep {
  resolved: ResolvedPlan;
  /** The status to decide from: the stored one, or at start the stored one plus the frozen plan. */
  status: DRPlanExecutionStatus;
  cancel: boolean;
}

function requestReplies(deps: CoreDeps, loaded: Loaded, requests: readonly ActionRequest[]): Reply[] {
  return requests.map((request) => {
    deps.log.child({ stage: request.stage, action: request.action, attempt: request.attempt }).info({ path: request.path }, 'action requested');
    return actionRequestedReply(loaded, request);
  });
}

export async function actOn(deps: CoreDeps, written: Loaded, before: DRPlanExecutionStatus, decision: Decision): Promise<Outcome> {
  await recordEvents(deps, written.object.metadata, decision.events);
  await deleteStoppedJobs(deps, written, before, [...decision.timedOut, ...decision.cancelled]);
  const replies = [...requestReplies(deps, written, decision.requests), ...notificationReplies(written, decision.events)];
  if (decision.finished !== undefined) {
    deps.log.info({ phase: decision.finished.phase, message: decision.finished.message }, 'execution finished');
    recordExecutionFinished(decision.finished.phase, operationLabel(written.execution), measuredOf(written));
    await recordFinish(deps, written);
    replies.push(executionFinishedReply(written, decision.finished));
  }
  return replies;
}

/** The scheduler's settings from the function's env (RECONCILE_INTERVAL, UNKNOWN_AFTER). */
export const scheduleOptions = (deps: CoreDeps): ScheduleOptions => ({
  requestTimeoutMs: deps.reconcileIntervalMs ?? DEFAULT_RECONCILE_INTERVAL_MS,
  unknownAfterMs: deps.unknownAfterMs,
});

/** Decides from `step`, writes the result conditionally against what `loaded` was read at, then acts on it. */
export async function applySchedule(deps: CoreDeps, loaded: Loaded, step: ScheduleStep): Promise<Outcome> {
  const before = loaded.execution.status ?? {};
  const decision = schedule({
    resolved: step.resolved,
    status: step.status,
    now: deps.clock.now(),
    cancelRequested: step.cancel,
    paused: pauseRequested(loaded.object),
    skips: skipsRequested(loaded.object),
    options: scheduleOptions(deps),
  });
  const written = await writeStatus(deps, loaded, decision.status);
  if (written === loaded) return [];
  return actOn(deps, written, before, decision);
}

/** One scheduling step of a started execution (its frozen plan is in the status). */
export async function drive(deps: CoreDeps, loaded: Loaded, cancel: boolean): Promise<Outcome> {
  const status = loaded.execution.status ?? {};
  if (status.resolved === undefined) return [];
  return applySchedule(deps, loaded, { resolved: status.resolved, status, cancel });
}

/**
 * The first scheduling step: the frozen plan (and, for a Revert, its initial status) goes into the status
 * in the same write that starts the execution, so a started execution always carries what it runs.
 */
export async function begin(deps: CoreDeps, loaded: Loaded, resolved: ResolvedPlan, initial: DRPlanExecutionStatus = {}): Promise<Outcome> {
  const status: DRPlanExecutionStatus = { ...loaded.execution.status, ...initial, resolved };
  const generation = loaded.object.metadata.generation;
  if (generation !== undefined) status.observedGeneration = generation;
  deps.log.info({ stages: resolved.stages?.length ?? 0, plan: loaded.execution.spec.planRef }, 'execution starting');
  return applySchedule(deps, loaded, { resolved, status, cancel: cancelRequested(loaded.object) });
}
