/**
 * The scheduler: a pure state machine from (frozen plan, current status, now) to the next status, the
 * attempts to request, the attempts to stop, and the Events to record. It is called on every event and
 * on the periodic tick; applied to its own output it decides nothing new (`changed: false`).
 */
import { isDeepStrictEqual } from 'node:util';
import type { DRPlanExecutionStatus, ResolvedPlan, RollbackStep } from '../api/index.js';
import { formatDuration, isFinalPhase, parseDuration, type FinalPhase } from '../api/index.js';
import { cancelAll, CANCELLED } from './cancel.js';
import { topologicalOrder } from './dag.js';
import type { EventReason, TransitionEvent } from './transitions.js';
import { EventReasons, normalEvent, warningEvent } from './transitions.js';
import { refreshProgress } from './progress.js';
import { endConditions, setCondition } from '../conditions.js';
import { effectsLeft as effectsLeftBy } from './revert-plan.js';
import { resync } from './resync.js';
import type { ActionRequest, DecisionContext, ScheduleOptions } from './schedule-context.js';
import { newContext, plural, requestFor, setMessage, SKIPPED_BY_DECISION } from './schedule-context.js';
import { skipStage, stepStages } from './stage-step.js';
import type { StageView } from './status-tree.js';
import { allActions, buildStatusTree, isDone, viewTree } from './status-tree.js';
import { workflowLabel } from './workflow-step.js';

export type { ActionRequest, ScheduleOptions } from './schedule-context.js';
export type { TransitionEvent } from './transitions.js';

export interface ScheduleInput {
  /** The frozen, rendered plan (stages → workflows → actions). */
  resolved: ResolvedPlan;
  /** The current status (`stageStatuses` may be absent at first). */
  status: DRPlanExecutionStatus;
  now: Date;
  cancelRequested?: boolean;
  /** `dr.bkbcs.tencent.com/pause: "true"`: no new action starts, running ones finish. */
  paused?: boolean;
  /** `dr.bkbcs.tencent.com/skip`: actions (path → reason) that count as done by a person's decision. */
  skips?: Readonly<Record<string, string>>;
  options?: ScheduleOptions;
}

export type { FinalPhase };

export interface Decision {
  /** The next status: a new object; the input is never mutated. */
  status: DRPlanExecutionStatus;
  /** Attempts to request from run-action now. */
  requests: ActionRequest[];
  /** Attempts whose timeout passed (the caller deletes their Jobs). */
  timedOut: ActionRequest[];
  /** Attempts running when cancel took effect (the caller deletes their Jobs). */
  cancelled: ActionRequest[];
  /** Kubernetes Events to record for the transitions this decision made. */
  events: TransitionEvent[];
  /** Set by the decision that finishes the execution (never again afterwards). */
  finished?: { phase: FinalPhase; message: string };
  /** `false` ⇒ `status` deep-equals the input status: the caller writes nothing. */
  changed: boolean;
}

interface Run {
  ctx: DecisionContext;
  status: DRPlanExecutionStatus;
  stages: StageView[];
  /** A Revert (its plan carries `rollbackSteps`) records Revert* instead of Execution* events. */
  revert: boolean;
  /** A Revert's steps that cannot undo an effect of their target: the Revert does not end Succeeded. */
  effectsLeft: readonly RollbackStep[];
  /** The recovery time objective (ms) the execution is measured against, when its plan has one. */
  rtoMs?: number | undefined;
}

type Finished = NonNullable<Decision['finished']>;

/** Passes until nothing changes; each pass makes at least one one-way transition, so this is never reached in practice. */
const passLimit = (stages: readonly StageView[]): number => 3 * (stages.length + allActions(stages).length) + 10;

function reason(run: Run, execute: EventReason, revert: EventReason): EventReason {
  return run.revert ? revert : execute;
}

function start(run: Run): void {
  const { status, ctx, stages } = run;
  status.phase = 'Running';
  status.startTime ??= ctx.at;
  const what = run.revert ? 'Revert' : 'Execution';
  const message = `${what} started: ${plural(stages.length, 'stage')}, ${plural(allActions(stages).length, 'action')}`;
  ctx.events.push(normalEvent(reason(run, EventReasons.ExecutionStarted, EventReasons.RevertStarted), message));
}

function finish(run: Run, phase: FinalPhase, message: string): Finished {
  const { status, ctx } = run;
  status.phase = phase;
  status.message = message;
  status.completionTime = ctx.at;
  status.conditions = endConditions(status.conditions, phase, message, ctx.now);
  if (run.rtoMs !== undefined) measureObjective(run, phase, run.rtoMs);
  const event = {
    Succeeded: () => normalEvent(reason(run, EventReasons.ExecutionSucceeded, EventReasons.RevertSucceeded), message),
    Failed: () => warningEvent(reason(run, EventReasons.ExecutionFailed, EventReasons.RevertFailed), message),
    Cancelled: () => normalEvent(EventReasons.ExecutionCancelled, message),
  }[phase]();
  ctx.events.push(event);
  return { phase, message };
}

/**
 * The execution against its recovery time objective: the condition `ObjectiveMet` (True only for a
 * Succeeded run within it) and, when the time is over it, a Warning Event.
 */
function measureObjective(run: Run, phase: FinalPhase, rtoMs: number): void {
  const { status, ctx } = run;
  const tookMs = Math.max(0, ctx.now.getTime() - (Date.parse(status.startTime ?? '') || ctx.now.getTime()));
  const took = `took ${formatDuration(tookMs)} of the ${formatDuration(rtoMs)} objective`;
  const over = tookMs > rtoMs;
  const reason = over ? 'ObjectiveExceeded' : phase === 'Succeeded' ? 'WithinObjective' : phase;
  const message = over ? `${took}: over by ${formatDuration(tookMs - rtoMs)}` : phase === 'Succeeded' ? took : `${phase}: nothing was recovered (${took})`;
  const condition = { type: 'ObjectiveMet', status: phase === 'Succeeded' && !over ? 'True' : 'False', reason, message } as const;
  status.conditions = setCondition(status.conditions, condition, ctx.now);
  if (over) ctx.events.push(warningEvent(EventReasons.ObjectiveMissed, `${phase}; ${message}`));
}

/** Names the first failed action (stage, workflow, action and its message), else the first stage that did not succeed. */
export function failureMessage(stages: readonly StageView[]): string {
  const workflows = stages.flatMap((stage) => stage.workflows);
  const failed = workflows.flatMap((workflow) => workflow.actions.filter((a) => a.status.phase === 'Failed').map((action) => ({ workflow, action })));
  const first = failed[0];
  if (first !== undefined) {
    const more = failed.length > 1 ? `; ${failed.length - 1} more failed` : '';
    const { workflow, action } = first;
    return `stage "${action.stage}", workflow ${workflowLabel(workflow)}, action "${action.spec.name}" failed: ${action.status.message ?? 'no message'}${more}`;
  }
  const stage = stages.find((candidate) => candidate.status.phase !== 'Succeeded');
  return stage === undefined ? 'failed' : `stage "${stage.spec.name}" ${stage.status.phase}: ${stage.status.message ?? 'no message'}`;
}

function stageOrder(stages: readonly StageView[]): StageView[] | undefined {
  const names = topologicalOrder(stages.map((stage) => ({ name: stage.spec.name, dependsOn: stage.spec.dependsOn })));
  if (names === undefined) return undefined;
  const placed = new Set<StageView>();
  return names.flatMap((name) => {
    const stage = stages.find((candidate) => candidate.spec.name === name && !placed.has(candidate));
    if (stage === undefined) return [];
    placed.add(stage);
    return [stage];
  });
}

function failOnCycle(run: Run): Finished {
  const message = 'stage dependencies form a cycle; nothing can run';
  for (const stage of run.stages) if (stage.status.phase === 'Pending') skipStage(stage, `skipped: ${message}`);
  return finish(run, 'Failed', message);
}

function passesUntilStill(run: Run, order: readonly StageView[]): void {
  const limit = passLimit(run.stages);
  for (let pass = 0; pass < limit; pass++) {
    const before = JSON.stringify(run.status.stageStatuses);
    stepStages(run.ctx, run.stages, order);
    if (JSON.stringify(run.status.stageStatuses) === before) return;
  }
}

/** First what already happened (completions, skips, stops), then what starts next — unless paused. */
function settle(run: Run, order: readonly StageView[]): void {
  run.ctx.allowStarts = false;
  passesUntilStill(run, order);
  if (run.ctx.paused) return;
  run.ctx.allowStarts = true;
  passesUntilStill(run, order);
}

const PAUSED = 'Paused';

/** An action skipped by a person's decision: counted as done, its attempt stopped (its Job deleted) when it was running. */
function applySkips(run: Run): void {
  const { ctx } = run;
  for (const view of allActions(run.stages)) {
    const reason = ctx.skips[view.path];
    if (reason === undefined || isDone(view.status.phase)) continue;
    if (view.status.phase === 'Running' || view.status.phase === 'Unknown') ctx.cancelled.push(requestFor(view));
    view.status.phase = 'Skipped';
    view.status.message = `${SKIPPED_BY_DECISION}: ${reason}`;
    view.status.completionTime = ctx.at;
    delete view.status.requestedAt;
    delete view.status.nextAttemptAt;
    ctx.events.push(normalEvent(EventReasons.ActionSkipped, `Action ${view.path} ${SKIPPED_BY_DECISION}: ${reason}`, view.path));
  }
}

/** The Paused condition and its Events: set when the pause begins, False (and ExecutionResumed) when it ends. */
function notePause(run: Run): void {
  const { status, ctx } = run;
  const was = status.conditions?.find((condition) => condition.type === PAUSED)?.status === 'True';
  if (ctx.paused === was) return;
  const running = allActions(run.stages).filter((action) => action.status.phase === 'Running' || action.status.phase === 'Unknown').length;
  const message = ctx.paused
    ? `paused: no new action starts; ${plural(running, 'running action')} ${running === 1 ? 'goes' : 'go'} on (resume: drplan resume, or remove the annotation dr.bkbcs.tencent.com/pause)`
    : 'resumed';
  status.conditions = setCondition(
    status.conditions,
    { type: PAUSED, status: ctx.paused ? 'True' : 'False', reason: ctx.paused ? 'Paused' : 'Resumed', message },
    ctx.now,
  );
  ctx.events.push(normalEvent(ctx.paused ? EventReasons.ExecutionPaused : EventReasons.ExecutionResumed, `Execution ${message}`));
}

function succeededMessage(stages: readonly StageView[]): string {
  if (stages.length === 0) return 'nothing to run';
  return `${stages.length === 1 ? 'the stage' : `all ${stages.length} stages`} succeeded (${plural(allActions(stages).length, 'action')})`;
}

/** How many of a Revert's targets are left as they were, named (the first few). */
function effectsLeftMessage(stages: readonly StageView[], left: readonly RollbackStep[]): string {
  const named = left.slice(0, 3).map((step) => `${step.rollbackOf} (${step.reason ?? 'no automatic undo'})`);
  const more = left.length > named.length ? `; and ${left.length - named.length} more` : '';
  const undone = allActions(stages).filter((action) => action.status.phase === 'Succeeded').length;
  return `undid ${plural(undone, 'action')}, but ${plural(left.length, 'effect')} of the reverted execution ${left.length === 1 ? 'is' : 'are'} left behind — undo by hand: ${named.join('; ')}${more}`;
}

function finishIfDone(run: Run): Finished | undefined {
  if (!run.stages.every((stage) => isDone(stage.status.phase))) return undefined;
  if (!run.stages.every((stage) => stage.status.phase === 'Succeeded')) return finish(run, 'Failed', failureMessage(run.stages));
  if (run.effectsLeft.length > 0) return finish(run, 'Failed', effectsLeftMessage(run.stages, run.effectsLeft));
  return finish(run, 'Succeeded', succeededMessage(run.stages));
}

/** The execution is Unknown while an action is, and Running again when none is. */
function updateLiveness(run: Run): void {
  const { status, ctx } = run;
  const lost = allActions(run.stages).find((action) => action.status.phase === 'Unknown');
  if (lost !== undefined) {
    if (status.phase !== 'Unknown') status.message = `no progress from action ${lost.path} for ${formatDuration(ctx.unknownAfterMs)}; requested again`;
    status.phase = 'Unknown';
    return;
  }
  if (status.phase === 'Unknown') setMessage(status, undefined);
  status.phase = 'Running';
}

function advance(run: Run): Finished | undefined {
  const phase = run.status.phase;
  if (phase === undefined || phase === 'Pending') start(run);
  const order = stageOrder(run.stages);
  if (order === undefined) return failOnCycle(run);
  applySkips(run);
  resync(run.ctx, run.stages);
  settle(run, order);
  notePause(run);
  const finished = finishIfDone(run);
  if (finished === undefined) updateLiveness(run);
  return finished;
}

function cancel(run: Run): Finished {
  cancelAll(run.ctx, run.stages);
  const stopped = run.ctx.cancelled.length;
  return finish(run, 'Cancelled', stopped === 0 ? CANCELLED : `${CANCELLED}; stopped ${plural(stopped, 'running action')}`);
}

function decide(input: DRPlanExecutionStatus, run: Run, finished: Finished | undefined): Decision {
  const { ctx, status } = run;
  const changed = !isDeepStrictEqual(input, status);
  if (changed) status.lastUpdateTime = ctx.at;
  const decision: Decision = { status, requests: ctx.requests, timedOut: ctx.timedOut, cancelled: ctx.cancelled, events: ctx.events, changed };
  if (finished !== undefined) decision.finished = finished;
  return decision;
}

/**
 * A copy of the status the scheduler may change. The frozen plan (`resolved`, the larger half of a big
 * execution) is never changed after the start, so it is shared, not copied.
 */
function cloneStatus(status: DRPlanExecutionStatus): DRPlanExecutionStatus {
  const { resolved, ...rest } = status;
  const copy = structuredClone(rest) as DRPlanExecutionStatus;
  if (resolved !== undefined) copy.resolved = resolved;
  return copy;
}

export function schedule(input: ScheduleInput): Decision {
  const ctx = newContext(input.now, input.options);
  ctx.paused = input.paused === true;
  ctx.skips = input.skips ?? {};
  ctx.resuming = !ctx.paused && input.status.conditions?.some((condition) => condition.type === PAUSED && condition.status === 'True') === true;
  const status = cloneStatus(input.status);
  const revert = input.resolved.rollbackSteps !== undefined;
  const effectsLeft = effectsLeftBy(input.resolved);
  const rto = input.resolved.objectives?.rto;
  const rtoMs = rto === undefined ? undefined : parseDuration(rto);
  if (isFinalPhase(status.phase)) return decide(input.status, { ctx, status, stages: [], revert, effectsLeft, rtoMs }, undefined);
  status.stageStatuses = buildStatusTree(input.resolved, status.stageStatuses);
  const run: Run = { ctx, status, stages: viewTree(input.resolved, status.stageStatuses), revert, effectsLeft, rtoMs };
  const finished = input.cancelRequested === true ? cancel(run) : advance(run);
  refreshProgress(status, run.stages);
  return decide(input.status, run, finished);
}
