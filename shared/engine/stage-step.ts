/**
 * Stages: a stage starts when every stage it depends on Succeeded, and is Skipped when one Failed or was
 * Skipped. Its workflows run all at once (`parallel`) or one after another. Stage failure policies:
 * FailFast stops the stage's other workflows and the plan; Stop lets started work finish, skips what has
 * not started, and stops the plan; Continue runs every workflow and lets independent stages go on.
 */
import { EventReasons, normalEvent, warningEvent } from './transitions.js';
import type { DecisionContext } from './schedule-context.js';
import { finishNode, startNode } from './schedule-context.js';
import type { StageView, WorkflowView } from './status-tree.js';
import { isDone } from './status-tree.js';
import { isStopped, skipWorkflow, startWorkflow, STOPPED, stepWorkflow, workflowLabel } from './workflow-step.js';

/** A workflow that failed by itself (not one stopped because a sibling failed). */
const failedOnItsOwn = (workflow: WorkflowView): boolean => workflow.status.phase === 'Failed' && !isStopped(workflow.status);

/** Why the stage starts no new workflow: a workflow failed and the policy is not Continue. */
function stageStopReason(stage: StageView): string | undefined {
  const policy = stage.spec.failurePolicy;
  if (policy === 'Continue') return undefined;
  const failed = stage.workflows.find(failedOnItsOwn);
  return failed === undefined ? undefined : `${STOPPED}workflow ${workflowLabel(failed)} failed (stage failurePolicy ${policy})`;
}

/** Why no new stage starts anywhere: a stage whose policy is not Continue has a failed workflow. */
export function planStopReason(stages: readonly StageView[]): string | undefined {
  for (const stage of stages) {
    if (stage.spec.failurePolicy !== 'Continue' && stage.workflows.some(failedOnItsOwn)) {
      return `${STOPPED}stage "${stage.spec.name}" failed (failurePolicy ${stage.spec.failurePolicy})`;
    }
  }
  return undefined;
}

/** A stage that never starts: it, its workflows and their unreached actions are Skipped for `reason`. */
export function skipStage(stage: StageView, reason: string): void {
  stage.status.phase = 'Skipped';
  stage.status.message = reason;
  for (const workflow of stage.workflows) if (workflow.status.phase === 'Pending') skipWorkflow(workflow, reason);
}

function blockingDependency(stage: StageView, byName: ReadonlyMap<string, StageView>): string | undefined {
  for (const name of stage.spec.dependsOn ?? []) {
    const phase = byName.get(name)?.status.phase;
    if (phase === undefined) return `skipped: depends on stage "${name}", which is not in the plan`;
    if (phase === 'Failed' || phase === 'Skipped') return `skipped: depends on stage "${name}", which ${phase}`;
  }
  return undefined;
}

function stepPendingStage(ctx: DecisionContext, stage: StageView, byName: ReadonlyMap<string, StageView>, halt: string | undefined): void {
  const reason = blockingDependency(stage, byName) ?? halt;
  if (reason !== undefined) {
    skipStage(stage, reason);
    return;
  }
  const ready = (stage.spec.dependsOn ?? []).every((name) => byName.get(name)?.status.phase === 'Succeeded');
  if (!ready || !ctx.allowStarts) return;
  startNode(stage.status, ctx.at);
  ctx.events.push(normalEvent(EventReasons.StageStarted, `Stage "${stage.spec.name}" started`, stage.spec.name));
}

function completeStage(ctx: DecisionContext, stage: StageView): void {
  const failed = stage.workflows.find(failedOnItsOwn);
  const stopped = stage.workflows.find((workflow) => isStopped(workflow.status));
  const name = stage.spec.name;
  if (failed === undefined && stopped === undefined) {
    finishNode(stage.status, 'Succeeded', undefined, ctx.at);
    ctx.events.push(normalEvent(EventReasons.StageSucceeded, `Stage "${name}" succeeded`, name));
    return;
  }
  const message = failed === undefined ? stopped?.status.message : `workflow ${workflowLabel(failed)} failed: ${failed.status.message ?? 'no message'}`;
  finishNode(stage.status, 'Failed', message, ctx.at);
  ctx.events.push(warningEvent(EventReasons.StageFailed, `Stage "${name}" failed: ${message ?? ''}`, name));
}

function startOrSkip(ctx: DecisionContext, workflow: WorkflowView, reason: string | undefined, blocked: boolean): void {
  if (workflow.status.phase !== 'Pending') return;
  if (reason !== undefined) skipWorkflow(workflow, reason);
  else if (!blocked && ctx.allowStarts) startWorkflow(ctx, workflow);
}

function stepRunningStage(ctx: DecisionContext, stage: StageView, halt: string | undefined): void {
  const stop = stageStopReason(stage);
  const siblingStop = stage.spec.failurePolicy === 'FailFast' ? stop : undefined;
  let blocked = false;
  for (const workflow of stage.workflows) {
    startOrSkip(ctx, workflow, stop ?? halt, blocked);
    stepWorkflow(ctx, workflow, siblingStop);
    if (!stage.spec.parallel && !isDone(workflow.status.phase)) blocked = true;
  }
  if (stage.workflows.every((workflow) => isDone(workflow.status.phase))) completeStage(ctx, stage);
}

/** One pass over the stages in topological order; the scheduler repeats passes until nothing changes. */
export function stepStages(ctx: DecisionContext, stages: readonly StageView[], order: readonly StageView[]): void {
  const byName = new Map(stages.map((stage) => [stage.spec.name, stage]));
  for (const stage of order) {
    const halt = planStopReason(stages);
    if (stage.status.phase === 'Pending') stepPendingStage(ctx, stage, byName, halt);
    if (stage.status.phase === 'Running') stepRunningStage(ctx, stage, halt);
  }
}
