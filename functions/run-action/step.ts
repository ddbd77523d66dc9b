/**
 * The scheduling step that follows an attempt's result, taken by run-action in the same conditional
 * write that records the result (ADR 12). The engine's scheduler is pure and decides from the status
 * alone, so run-action decides exactly what plan-stages or revert would decide on action.finished: the
 * next action of the workflow, the workflow's or stage's end, the next stage, the execution's end. Then
 * it acts as they would (shared/execution/driver.ts actOn): Events, Jobs of stopped attempts deleted,
 * one action.requested per request, and on finish the plan's bookkeeping and execution.finished. One
 * status write and one broker hop per action are saved; the orchestrators still wake on ticks, starts,
 * cancels and deletions.
 */
import type { DRPlanExecutionStatus } from '../../shared/api/index.js';
import type { Decision } from '../../shared/engine/scheduler.js';
import { schedule } from '../../shared/engine/scheduler.js';
import { actOn, scheduleOptions } from '../../shared/execution/driver.js';
import { cancelRequested, pauseRequested, skipsRequested, type Loaded } from '../../shared/execution/objects.js';
import type { Outcome } from '../../shared/function-deps.js';
import type { RunActionDeps } from './deps.js';

/**
 * The step from `status` (the stored status with the attempt's result applied), or undefined when the
 * execution carries no usable frozen plan (its orchestrator decides then, woken by action.finished).
 */
export function stepAfter(deps: RunActionDeps, loaded: Loaded, status: DRPlanExecutionStatus, now: Date): Decision | undefined {
  const resolved = loaded.execution.status?.resolved;
  if (resolved === undefined) return undefined;
  return schedule({
    resolved,
    status,
    now,
    cancelRequested: cancelRequested(loaded.object),
    paused: pauseRequested(loaded.object),
    skips: skipsRequested(loaded.object),
    options: scheduleOptions(deps),
  });
}

/** Acts on a step written with the attempt's result; `before` is the status before the step (the Jobs of stopped attempts are found in it). */
export function actOnStep(deps: RunActionDeps, written: Loaded, before: DRPlanExecutionStatus, decision: Decision): Promise<Outcome> {
  return actOn(deps, written, before, decision);
}
