/**
 * One attempt, start to end: claim it with a conditional status write (nothing is done before the claim
 * is written; a duplicate request claims nothing), run its executor, record the result with another
 * conditional write, then either wait in-process for a retry that is due soon and run it, or reply
 * action.finished. Writes to our own execution that keep conflicting throw `conflict`; API outages
 * throw `unavailable` (the broker redelivers, and the claim makes the redelivery a no-op).
 */
import { isDeepStrictEqual } from 'node:util';
import type { ActionOutputs, ActionStatus, DRPlanExecutionStatus, OperationType } from '../../shared/api/index.js';
import { parseActionPath } from '../../shared/engine/action-path.js';
import type { AttemptResult } from '../../shared/engine/attempt.js';
import type { AttemptReport } from '../../shared/engine/attempt.js';
import { claimAttempt, heartbeat, recordAttempt, recordLateOutcome } from '../../shared/engine/attempt.js';
import type { ActionRequest } from '../../shared/engine/schedule-context.js';
import type { Decision } from '../../shared/engine/scheduler.js';
import { findActionStatus, withActionCopy } from '../../shared/engine/status-tree.js';
import type { TransitionEvent } from '../../shared/engine/transitions.js';
import { HandlerError } from '../../shared/errors.js';
import type { Logger, Outcome } from '../../shared/function-deps.js';
import { recordActionFinished, recordActionRetry } from '../../shared/runtime/metrics.js';
import type { AttemptIdentity } from '../../shared/job-labels.js';
import type { RunActionDeps } from './deps.js';
import type { Loaded } from '../../shared/execution/objects.js';
import { MAX_RESULT_WRITE_ATTEMPTS, updateStatus } from '../../shared/execution/store.js';
import { recordEvents } from '../../shared/execution/kube-events.js';
import { actingUser } from '../../shared/execution/identity.js';
import type { ExecutorContext, ExecutorOutcome } from './executor.js';
import { AttemptLostError, fatal, finished, OverBudgetError } from './executor.js';
import { runExecutor } from './executors.js';
import { actOnStep, stepAfter } from './step.js';
import { cancelRequested, isFinalPhase, pauseRequested } from '../../shared/execution/objects.js';
import { withHolder, type Holder } from './holder.js';
import type { Watch } from './stop-watch.js';
import { apiFailure } from './kube-errors.js';
import type { Located } from './locate.js';
import { locateAction } from './locate.js';
import type { FinishedPhase } from './replies.js';
import { actionFinishedReply } from './replies.js';
import { notificationReplies } from '../../shared/execution/replies.js';

/** An attempt this process is working on, with the execution as last read or written. */
export interface Session {
  deps: RunActionDeps;
  id: AttemptIdentity;
  operationType: OperationType;
  loaded: Loaded;
  located: Located;
  log: Logger;
  /** The attempt was claimed back from `Unknown`: the same identity was sent before and may still be in progress. */
  resent?: boolean;
  /** Until this time (ms, the deps' clock) the actions its result makes due are claimed with it and run here. */
  chainUntil: number;
  /** The Events of the attempt this one was chained from, still being recorded: ours follow them. */
  eventsBefore?: Promise<void> | undefined;
}

/** Sleeps before a due retry, at most this many times (a clock that does not move must not hang us). */
const MAX_WAITS = 3;

const isRunning = (action: ActionStatus | undefined): boolean => action?.phase === 'Running' || action?.phase === 'Unknown';

export function attemptLog(deps: RunActionDeps, id: AttemptIdentity): Logger {
  const address = parseActionPath(id.path);
  return deps.log.child({ execution: id.execution.name, stage: address?.stage, action: address?.action ?? id.path, attempt: id.attempt });
}

/** An execution that may still start work: not finished, not being deleted, not asked to cancel. */
export function acceptsWork(loaded: Loaded): boolean {
  if (isFinalPhase(loaded.execution.status?.phase)) return false;
  if (loaded.object.metadata.deletionTimestamp !== undefined) return false;
  return !cancelRequested(loaded.object);
}

export function sessionFor(deps: RunActionDeps, id: AttemptIdentity, loaded: Loaded, at: { log: Logger; chainUntil?: number }): Session {
  const { log, chainUntil = deps.clock.now().getTime() + deps.config.maxInlineChainMs } = at;
  const located = locateAction(loaded.frozen, id.path, loaded.object.metadata.namespace ?? id.execution.namespace);
  const operationType = loaded.execution.spec.operationType;
  return { deps, id: { ...id, operationType }, operationType, loaded, located, log, chainUntil };
}

/**
 * The phase to report again for a request whose attempt has already ended (a redelivered request whose
 * action.finished reply was lost with a crash, or a duplicate): its orchestrator may not have heard of
 * it, and re-stepping is idempotent. Undefined while the attempt (or a later one) may still be running.
 */
export function endedPhase(loaded: Loaded, id: AttemptIdentity): FinishedPhase | undefined {
  const action = acceptsWork(loaded) ? findActionStatus(loaded.execution.status ?? {}, id.path) : undefined;
  if (action?.attempt === undefined || action.attempt < id.attempt) return undefined;
  const phase = finishedPhase(action);
  return phase !== 'Pending' || action.attempt > id.attempt ? phase : undefined;
}

type Claim = { session: Session; events: Promise<void> } | { ended?: { phase: FinishedPhase; operationType: OperationType } | undefined };

async function claim(deps: RunActionDeps, id: AttemptIdentity, log: Logger, chainUntil: number): Promise<Claim> {
  const now = deps.clock.now();
  let seen: Loaded | undefined;
  const claimed = await updateStatus<{ events: TransitionEvent[]; resent: boolean }>(
    deps,
    id.execution,
    (loaded) => {
      seen = loaded;
      if (!acceptsWork(loaded)) return undefined;
      const status = loaded.execution.status ?? {};
      // paused: an action that has not started waits (its request is made again on resume)
      if (pauseRequested(loaded.object) && findActionStatus(status, id.path)?.startTime === undefined) return undefined;
      const outcome = claimAttempt(status, id.path, id.attempt, now);
      const resent = findActionStatus(status, id.path)?.phase === 'Unknown';
      return outcome.claimed ? { status: withHolder(outcome.status, id.path, deps.holder), value: { events: outcome.events, resent } } : undefined;
    },
    { log },
  );
  if (claimed === undefined) {
    log.info({}, 'attempt not claimed: already claimed, finished or no longer wanted');
    const phase = seen === undefined ? undefined : endedPhase(seen, id);
    return { ended: seen === undefined || phase === undefined ? undefined : { phase, operationType: seen.execution.spec.operationType } };
  }
  log.info({}, 'attempt claimed');
  // The Events go on while the attempt runs: they are best effort and must not delay the action.
  const events = recordEvents(deps, claimed.loaded.object.metadata, claimed.value.events, log);
  return { session: { ...sessionFor(deps, id, claimed.loaded, { log, chainUntil }), resent: claimed.value.resent }, events };
}

/**
 * The most the execution object may weigh once a prior state is added to it (JSON bytes). etcd stores
 * objects up to 1.5 MiB; the rest is headroom for the results, messages and Events still to come.
 */
export const EXECUTION_BUDGET_BYTES = 1024 * 1024;

/** A prior state that would make the execution heavier than its budget: refused before the change is made. */
function checkBudget(loaded: Loaded, outputs: ActionOutputs): void {
  if (outputs.priorState === undefined) return;
  const added = Buffer.byteLength(outputs.priorState);
  const total = Buffer.byteLength(JSON.stringify(loaded.object)) + added;
  if (total <= EXECUTION_BUDGET_BYTES) return;
  throw new OverBudgetError(
    `outputs.priorState: recording this object's prior state (${added} bytes) would make the execution ${total} bytes, over the ${EXECUTION_BUDGET_BYTES} it may hold (the API server stores objects up to 1.5 MiB); nothing was changed — split the plan, or give the action a rollback that needs no recorded state`,
  );
}

/** Adds outputs to the running attempt (before a change it must be able to undo); throws AttemptLostError when it is not ours any more. */
async function saveOutputs(session: Session, outputs: ActionOutputs): Promise<void> {
  const { deps, id } = session;
  const at = deps.clock.now().toISOString();
  const saved = await updateStatus(
    deps,
    id.execution,
    (loaded) => {
      const copy = withActionCopy(loaded.execution.status ?? {}, id.path);
      if (copy?.action.attempt !== id.attempt || !isRunning(copy.action))
        throw new AttemptLostError(`attempt ${id.attempt} of ${id.path} is no longer running`);
      const { next, action } = copy;
      const merged = { ...action.outputs, ...outputs };
      if (isDeepStrictEqual(merged, action.outputs)) return { value: undefined };
      checkBudget(loaded, outputs);
      action.outputs = merged;
      action.lastUpdateTime = at;
      next.lastUpdateTime = at;
      return { status: next, value: undefined };
    },
    { current: session.loaded, log: session.log },
  );
  if (saved === undefined) throw new AttemptLostError('the execution is gone');
  session.loaded = saved.loaded;
}

/** Shows that the attempt is alive: `lastUpdateTime` moves on (an Unknown attempt is Running again). */
export async function beat(session: Session): Promise<void> {
  const { deps, id } = session;
  const now = deps.clock.now();
  const updated = await updateStatus(
    deps,
    id.execution,
    (loaded) => {
      const outcome = heartbeat(loaded.execution.status ?? {}, id.path, id.attempt, now);
      return outcome.changed ? { status: outcome.status, value: undefined } : undefined;
    },
    { current: session.loaded, log: session.log },
  );
  if (updated !== undefined) session.loaded = updated.loaded;
}

/** Beats every `heartbeatMs` until the returned stop is called (which waits for a beat in flight). */
function keepAlive(session: Session): () => Promise<void> {
  let inFlight = Promise.resolve();
  const timer = setInterval(() => {
    inFlight = inFlight
      .then(() => beat(session))
      .catch((error: unknown) => {
        session.log.warn({ err: error }, 'heartbeat failed');
      });
  }, session.deps.config.heartbeatMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await inFlight;
  };
}

/** An HTTP request may wait its whole timeout: it is aborted when the attempt is no longer wanted (stop-watch.ts). */
function watchIfHttp(session: Session, ctx: ExecutorContext): Watch | undefined {
  const watch = ctx.action.type === 'HTTP' ? session.deps.stopWatch?.watch(session.id) : undefined;
  if (watch !== undefined) ctx.signal = watch.signal;
  return watch;
}

async function execute(session: Session): Promise<ExecutorOutcome | undefined> {
  const { located, log } = session;
  if (!located.ok) return finished(fatal(located.problem));
  const actingAs = actingUser(session.deps, session.loaded.execution, session.id.execution.namespace);
  const dryRun = session.loaded.execution.spec.dryRun === true;
  const tenant = session.deps.kube.impersonate(actingAs);
  const ctx: ExecutorContext = {
    deps: session.deps,
    kube: dryRun ? tenant.dryRun() : tenant,
    dryRun,
    actingAs,
    id: session.id,
    action: located.action,
    namespace: located.namespace,
    recorded: findActionStatus(session.loaded.execution.status ?? {}, session.id.path)?.outputs,
    resent: session.resent === true,
    saveOutputs: (outputs) => saveOutputs(session, outputs),
    log,
  };
  const watch = watchIfHttp(session, ctx);
  const stop = keepAlive(session);
  try {
    return await runExecutor(ctx);
  } catch (error: unknown) {
    if (error instanceof AttemptLostError) {
      log.info({ reason: error.message }, 'attempt lost while running; stopping');
      return undefined;
    }
    if (error instanceof HandlerError) throw error;
    if (error instanceof OverBudgetError) return finished(fatal(error.message));
    log.error({ err: error }, 'executor failed unexpectedly');
    return finished(apiFailure(error, `running the ${located.action.type} action`));
  } finally {
    watch?.end();
    await stop();
  }
}

interface Recorded {
  events: TransitionEvent[];
  retryAt?: Date | undefined;
  phase: FinishedPhase;
  /** Seconds from the attempt's claim to its result, when the claim time is known. */
  seconds?: number | undefined;
  /** The scheduling step written with the result, and the status it was taken from. */
  step?: { decision: Decision; before: DRPlanExecutionStatus } | undefined;
  /** The requests of the step claimed in the same write, to run in this process. */
  chained: ActionRequest[];
  /** The result's Events (and the chained claims'), being recorded. */
  recording?: Promise<void>;
  /** The outcome of an attempt cancel had stopped: recorded for the record, nothing follows it. */
  late?: boolean;
}

/** The step's requests claimed in the status it leaves: those this process runs at once. */
function claimChained(
  status: DRPlanExecutionStatus,
  requests: readonly ActionRequest[],
  now: Date,
  holder: Holder | undefined,
): { status: DRPlanExecutionStatus; chained: ActionRequest[]; events: TransitionEvent[] } {
  const chained: ActionRequest[] = [];
  const events: TransitionEvent[] = [];
  let next = status;
  for (const request of requests) {
    const outcome = claimAttempt(next, request.path, request.attempt, now);
    if (!outcome.claimed) continue;
    next = withHolder(outcome.status, request.path, holder);
    chained.push(request);
    events.push(...outcome.events);
  }
  return { status: next, chained, events };
}

/**
 * The step after a result, with the actions it makes due claimed in the same status when the session
 * may still chain (ADR 13): one write records the result, takes the step and starts what follows.
 */
function stepWithChain(session: Session, loaded: Loaded, recorded: DRPlanExecutionStatus, now: Date) {
  const decision = stepAfter(session.deps, loaded, recorded, now);
  if (decision === undefined) return { status: recorded, step: undefined, chained: [], events: [] };
  const step = { decision, before: recorded };
  if (now.getTime() >= session.chainUntil || decision.requests.length === 0) return { status: decision.status, step, chained: [], events: [] };
  const claimed = claimChained(decision.status, decision.requests, now, session.deps.holder);
  const isChained = (request: ActionRequest): boolean => claimed.chained.some((c) => c.path === request.path && c.attempt === request.attempt);
  const rest = { ...decision, status: claimed.status, requests: decision.requests.filter((request) => !isChained(request)) };
  return { status: claimed.status, step: { decision: rest, before: recorded }, chained: claimed.chained, events: claimed.events };
}

function secondsSince(iso: string | undefined, now: Date): number | undefined {
  const start = Date.parse(iso ?? '');
  return Number.isNaN(start) ? undefined : Math.max(0, now.getTime() - start) / 1000;
}

/** The outputs recorded so far with the result's; an output the result sets to `undefined` is removed. */
function withOutputs(result: AttemptResult, current: ActionOutputs | undefined): AttemptResult {
  if (current === undefined && result.outputs === undefined) return result;
  // the type says no value is undefined; an executor clears an output by setting it so all the same
  const merged = Object.entries({ ...current, ...result.outputs }).filter(([, value]: [string, unknown]) => value !== undefined);
  return { ...result, outputs: Object.fromEntries(merged) };
}

function finishedPhase(action: ActionStatus | undefined): FinishedPhase {
  const phase = action?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Skipped' ? phase : 'Pending';
}

/** The result of an attempt cancel stopped while it ran: kept in its status, with no step after it (the execution has ended). */
function afterCancel(status: DRPlanExecutionStatus, report: AttemptReport): { status: DRPlanExecutionStatus; value: Recorded } | undefined {
  const late = recordLateOutcome(status, report);
  if (!late.recorded) return undefined;
  return { status: late.status, value: { events: late.events, phase: 'Failed', chained: [], late: true } };
}

async function record(session: Session, result: AttemptResult): Promise<Recorded | undefined> {
  const { deps, id, located } = session;
  const now = deps.clock.now();
  const policy = located.ok ? located.action.retryPolicy : undefined;
  const recorded = await updateStatus<Recorded>(
    deps,
    id.execution,
    (loaded) => {
      const status = loaded.execution.status ?? {};
      const current = findActionStatus(status, id.path);
      const report = { path: id.path, attempt: id.attempt, result: withOutputs(result, current?.outputs), policy, now };
      const outcome = recordAttempt(status, report);
      if (!outcome.recorded) return afterCancel(status, report);
      const recordedStatus = withHolder(outcome.status, id.path, undefined);
      const phase = finishedPhase(findActionStatus(recordedStatus, id.path));
      const seconds = secondsSince(current?.attemptStartTime ?? current?.startTime, now);
      const { status: next, step, chained, events } = stepWithChain(session, loaded, recordedStatus, now);
      return { status: next, value: { events: [...outcome.events, ...events], retryAt: outcome.retryAt, phase, seconds, step, chained } };
    },
    { current: session.loaded, log: session.log, attempts: MAX_RESULT_WRITE_ATTEMPTS },
  );
  if (recorded === undefined) return undefined;
  session.loaded = recorded.loaded;
  // The Events go on while what follows runs: they are best effort and must not delay the next action.
  const after = session.eventsBefore ?? Promise.resolve();
  return { ...recorded.value, recording: after.then(() => recordEvents(deps, recorded.loaded.object.metadata, recorded.value.events, session.log)) };
}

/** Metrics: every ended attempt by type and result (Succeeded or Failed), its duration, and the retries it causes. */
function countAttempt(session: Session, result: AttemptResult, recorded: Recorded): void {
  const type = session.located.ok ? session.located.action.type : 'Unknown';
  recordActionFinished(type, result.ok ? 'Succeeded' : 'Failed', recorded.seconds);
  if (recorded.phase === 'Pending') recordActionRetry(type);
}

async function waitUntil(deps: RunActionDeps, at: Date): Promise<void> {
  for (let waits = 0; waits < MAX_WAITS; waits++) {
    const remaining = at.getTime() - deps.clock.now().getTime();
    if (remaining <= 0) return;
    await deps.sleep(remaining);
  }
}

/**
 * What follows a recorded result: the replies of the step written with it (action.requested for what
 * runs next, execution.finished), or action.finished for the orchestrator when no step could be taken.
 */
async function followUp(session: Session, recorded: Recorded): Promise<Outcome> {
  const { step } = recorded;
  if (step === undefined) return [actionFinishedReply(session.id, session.operationType, recorded.phase)];
  const chained = recorded.chained.map((request) => runClaimed(session, request, recorded.recording));
  const outcomes = await Promise.all([actOnStep(session.deps, session.loaded, step.before, step.decision), ...chained]);
  return outcomes.flat();
}

/**
 * Records an attempt's result with the scheduling step that follows it, and acts on the step; then runs
 * a retry due within `maxInlineWaitMs` in-process. A result already recorded (a duplicate, a late Job
 * event) replies nothing.
 */
export async function finishAttempt(session: Session, result: AttemptResult): Promise<Outcome> {
  const { log } = session;
  const recorded = await record(session, result);
  if (recorded === undefined) {
    log.info({}, 'result not recorded: the attempt is no longer running');
    return [];
  }
  // an action that failed for good is told to whoever listens (action.failed)
  const notified = notificationReplies(session.loaded, recorded.events);
  if (recorded.late === true) {
    log.info({ ok: result.ok }, 'the outcome of an attempt stopped by cancel recorded');
    await recorded.recording;
    return notified;
  }
  log.info({ phase: recorded.phase, ok: result.ok, message: result.message }, 'attempt recorded');
  countAttempt(session, result, recorded);
  try {
    return [...notified, ...(await afterRecord(session, recorded))];
  } finally {
    await recorded.recording;
  }
}

/** What follows a recorded result: the step's replies and chained actions, then a retry due soon, run here. */
async function afterRecord(session: Session, recorded: Recorded): Promise<Outcome> {
  const { deps, id } = session;
  const { retryAt } = recorded;
  if (retryAt === undefined || retryAt.getTime() - deps.clock.now().getTime() > deps.config.maxInlineWaitMs) return followUp(session, recorded);
  const stepped = recorded.step === undefined ? [] : await followUp(session, recorded);
  await waitUntil(deps, retryAt);
  return [...stepped, ...(await runAttempt(deps, { ...id, attempt: id.attempt + 1 }, session.chainUntil))];
}

/** Runs an attempt claimed in the write of the result before it, in this process (ADR 13). */
async function runClaimed(previous: Session, request: ActionRequest, eventsBefore: Promise<void> | undefined): Promise<Outcome> {
  const { deps } = previous;
  const id: AttemptIdentity = { ...previous.id, path: request.path, attempt: request.attempt };
  const log = attemptLog(deps, id);
  log.info({}, 'attempt claimed with the result before it');
  const session = { ...sessionFor(deps, id, previous.loaded, { log, chainUntil: previous.chainUntil }), eventsBefore };
  const outcome = await execute(session);
  if (outcome === undefined || outcome.state === 'running') return [];
  return finishAttempt(session, outcome.result);
}

/** Claims attempt `id.attempt`, runs it, records it (and any retry due soon after). */
export async function runAttempt(
  deps: RunActionDeps,
  id: AttemptIdentity,
  chainUntil = deps.clock.now().getTime() + deps.config.maxInlineChainMs,
): Promise<Outcome> {
  const log = attemptLog(deps, id);
  const claimed = await claim(deps, id, log, chainUntil);
  if (!('session' in claimed)) return claimed.ended === undefined ? [] : [actionFinishedReply(id, claimed.ended.operationType, claimed.ended.phase)];
  const { session } = claimed;
  const outcome = await execute(session).finally(() => claimed.events);
  if (outcome === undefined) return [];
  if (outcome.state === 'running') return [];
  return finishAttempt(session, outcome.result);
}
