/**
 * The end of an execution. Its own status is written first (the durable record); then the plan's
 * bookkeeping (history, last execution, phase, lock release) in one conditional plan status write; then
 * the execution is marked `Recorded`. A crash between the steps leaves a finished execution without the
 * mark, which the next event or the resync tick finds and completes — every step is idempotent.
 */
import { isDeepStrictEqual } from 'node:util';
import { measuredOf, operationLabel, recordExecutionFinished } from '../runtime/metrics.js';
import type { DRPlanExecutionStatus, DRPlanStatus } from '../api/index.js';
import { DRPlanStatusSchema } from '../api/index.js';
import { endConditions, findCondition, sameConditions, setCondition } from '../conditions.js';
import type { ConditionInput } from '../conditions.js';
import { EventReasons, normalEvent, warningEvent } from '../engine/transitions.js';
import type { TransitionEvent } from '../engine/transitions.js';
import type { CoreDeps, Outcome } from '../function-deps.js';
import type { KubeObject } from '../kube/types.js';
import { retryOnConflict } from '../kube/conflict.js';
import { planStatusAfterFinish } from './history.js';
import { recordEvents } from './kube-events.js';
import { mergePatchBetween } from './merge-patch.js';
import type { Loaded } from './objects.js';
import { isDeleting, loadExecution, planIdOf } from './objects.js';
import { writeStatus } from './store.js';
import { markDone } from './ownership.js';
import { planKey } from '../keys.js';
import { executionFinishedReply } from './replies.js';

/** The condition that says the plan's bookkeeping for this finished execution is done. */
export const RECORDED = 'Recorded';

export const isRecorded = (loaded: Loaded): boolean => findCondition(loaded.execution.status?.conditions, RECORDED) !== undefined;

function planStatusOf(deps: CoreDeps, plan: KubeObject): DRPlanStatus {
  const parsed = DRPlanStatusSchema.safeParse(plan.status ?? {});
  if (parsed.success) return parsed.data;
  deps.log.warn({ plan: plan.metadata.name, issues: parsed.error.issues.length }, 'plan status does not parse; recording over an empty one');
  return {};
}

/** Writes the plan's bookkeeping; `false` when the plan does not exist. */
async function updatePlan(deps: CoreDeps, loaded: Loaded): Promise<boolean> {
  const planId = planIdOf(loaded);
  if (planId.name === '') return false;
  return retryOnConflict(`history of plan ${planId.namespace}/${planId.name}`, async () => {
    const plan = await deps.kube.get(planKey(planId));
    if (plan === undefined) return false;
    const before = planStatusOf(deps, plan);
    const patch = mergePatchBetween(before, planStatusAfterFinish(before, loaded.execution));
    if (patch !== undefined) {
      await deps.kube.mergePatchStatus(planKey(planId), { metadata: { resourceVersion: plan.metadata.resourceVersion }, status: patch });
    }
    return true;
  });
}

/** What the Recorded condition says: in the plan's history, no plan to record in, or a dry run (never in the history). */
type Bookkeeping = 'recorded' | 'no plan' | 'dry run';

/** A finished dry run as the plan's `status.lastDryRun`; `false` when the plan does not exist. */
async function noteDryRun(deps: CoreDeps, loaded: Loaded): Promise<boolean> {
  const planId = planIdOf(loaded);
  if (planId.name === '') return false;
  const { phase = 'Unknown', completionTime } = loaded.execution.status ?? {};
  const lastDryRun = { name: loaded.id.name, phase, ...(completionTime === undefined ? {} : { completionTime }) };
  return retryOnConflict(`dry run record of plan ${planId.namespace}/${planId.name}`, async () => {
    const plan = await deps.kube.get(planKey(planId));
    if (plan === undefined) return false;
    const before = planStatusOf(deps, plan).lastDryRun;
    if (before !== undefined && (before.completionTime ?? '') > (completionTime ?? '')) return true;
    if (isDeepStrictEqual(before, lastDryRun)) return true;
    await deps.kube.mergePatchStatus(planKey(planId), { metadata: { resourceVersion: plan.metadata.resourceVersion }, status: { lastDryRun } });
    return true;
  });
}

function recordedCondition(loaded: Loaded, record: Bookkeeping): ConditionInput {
  const plan = loaded.execution.spec.planRef;
  const generation = loaded.object.metadata.generation;
  const base = generation === undefined ? {} : { observedGeneration: generation };
  if (record === 'dry run')
    return {
      ...base,
      type: RECORDED,
      status: 'True',
      reason: 'DryRun',
      message: `a dry run: not in the plan's history; plan "${plan}" names it in status.lastDryRun`,
    };
  const planFound = record === 'recorded';
  if (planFound) return { ...base, type: RECORDED, status: 'True', reason: 'InPlanHistory', message: `recorded in the history of plan "${plan}"` };
  return { ...base, type: RECORDED, status: 'False', reason: 'PlanNotFound', message: `plan "${plan}" not found; there is no history to record in` };
}

async function markRecorded(deps: CoreDeps, loaded: Loaded, record: Bookkeeping): Promise<void> {
  await retryOnConflict(`execution ${loaded.id.namespace}/${loaded.id.name}`, async () => {
    const current = await loadExecution(deps.kube, loaded.id);
    if (current === undefined || isDeleting(current)) return;
    const before = current.execution.status?.conditions;
    const conditions = setCondition(before, recordedCondition(current, record), deps.clock.now());
    if (sameConditions(before, conditions)) return;
    await writeStatus(deps, current, { ...current.execution.status, conditions });
  });
}

/** The plan's bookkeeping for a finished execution, then the `Recorded` mark (not on an execution being deleted). */
/** The plan's bookkeeping of an end: its history (and lock) for a run, its lastDryRun for a dry run. */
async function bookkeeping(deps: CoreDeps, loaded: Loaded): Promise<Bookkeeping> {
  if (loaded.execution.spec.dryRun !== true) return (await updatePlan(deps, loaded)) ? 'recorded' : 'no plan';
  return (await noteDryRun(deps, loaded)) ? 'dry run' : 'no plan';
}

export async function recordFinish(deps: CoreDeps, loaded: Loaded): Promise<void> {
  // a dry run held no lock and changed nothing: the plan's history is for what happened
  const record: Bookkeeping = await bookkeeping(deps, loaded);
  if (!isDeleting(loaded)) await markRecorded(deps, loaded, record);
  deps.log.info({ plan: loaded.execution.spec.planRef, phase: loaded.execution.status?.phase, record }, 'execution recorded in plan history');
}

/**
 * A finished execution whose bookkeeping a crash interrupted gets it now; a recorded one is marked done
 * (the orchestrators do it on the update that the Recorded condition makes, so run-action, which may
 * record an end, needs no right to change an execution's metadata).
 */
export async function ensureRecorded(deps: CoreDeps, loaded: Loaded): Promise<Outcome> {
  if (!isRecorded(loaded)) await recordFinish(deps, loaded);
  else await markDone(deps.kube, loaded);
  return [];
}

export type UnstartedEnd = 'Failed' | 'Cancelled';

function endEvent(loaded: Loaded, phase: UnstartedEnd, message: string): TransitionEvent {
  if (phase === 'Cancelled') return normalEvent(EventReasons.ExecutionCancelled, message);
  const revert = loaded.execution.spec.operationType === 'Revert';
  return warningEvent(revert ? EventReasons.RevertFailed : EventReasons.ExecutionFailed, message);
}

/**
 * Ends an execution that never started running (invalid, refused, cancelled or deleted first): phase,
 * message and times in one conditional status write (a 409 goes to the caller), its Event, the plan's
 * bookkeeping, and the execution.finished reply.
 */
export async function finishUnstarted(deps: CoreDeps, loaded: Loaded, phase: UnstartedEnd, message: string): Promise<Outcome> {
  const now = deps.clock.now().toISOString();
  const before = loaded.execution.status ?? {};
  const after: DRPlanExecutionStatus = {
    ...before,
    phase,
    message,
    startTime: before.startTime ?? now,
    completionTime: now,
    lastUpdateTime: now,
    conditions: endConditions(before.conditions, phase, message, deps.clock.now()),
  };
  const generation = loaded.object.metadata.generation;
  if (generation !== undefined) after.observedGeneration = generation;
  const finished = await writeStatus(deps, loaded, after);
  deps.log.info({ phase, message }, 'execution ended before it ran');
  recordExecutionFinished(phase, operationLabel(loaded.execution), measuredOf(finished));
  await recordEvents(deps, finished.object.metadata, [endEvent(loaded, phase, message)]);
  await recordFinish(deps, finished);
  return [executionFinishedReply(finished, { phase, message })];
}
