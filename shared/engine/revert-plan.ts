/**
 * The Revert as a plan the scheduler runs (pure): the rollback steps laid out on the reverse of the
 * forward DAG, so that failback is as fast as failover. Each forward stage with something to undo gets a
 * revert stage of the same name; it depends on the revert stages of every stage that depended on it
 * (a stage is undone once everything built on it is), so independent branches are undone at the same
 * time. In it, one workflow per forward workflow — at once when the stage ran them in parallel, the later
 * first when it ran them one after another — whose actions are that workflow's steps, newest first.
 */
import type { Action, ActionStatus, DRPlanExecutionStatus, ResolvedPlan, ResolvedStage, ResolvedWorkflow, RollbackStep } from '../api/index.js';
import { ActionSchema } from '../api/index.js';
import { formatPath } from './problems.js';
import { computeSummary, executionProgress } from './progress.js';
import { buildStatusTree } from './status-tree.js';

const DEFAULT_TIMEOUT = '5m';

/** The message of a step that undoes nothing and leaves an effect behind: the Revert reports it and does not end Succeeded. */
export const NOT_UNDONE = 'not undone';

/** The steps of a Revert that leave an effect of their target behind. */
export const effectsLeft = (plan: ResolvedPlan): RollbackStep[] => (plan.rollbackSteps ?? []).filter((step) => step.effectLeft === true);

function uniqueName(wanted: string, used: Set<string>): string {
  let name = wanted;
  for (let n = 2; used.has(name); n++) name = `${wanted}-${n}`;
  used.add(name);
  return name;
}

/** A Skip step gets a placeholder that never runs (it starts `Skipped`, and its `when` is "false"). */
function revertAction(step: RollbackStep, name: string): Action {
  if (step.mode === 'Skip') return { name, type: 'KubernetesResource', timeout: DEFAULT_TIMEOUT, when: 'false' };
  if (step.action === undefined) throw new Error(`rollback step ${step.rollbackOf}: mode ${step.mode} needs an action`);
  const parsed = ActionSchema.safeParse({ ...step.action, name });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = formatPath(issue?.path ?? [], 'action');
  throw new Error(`rollback step ${step.rollbackOf}: ${where}: ${issue?.message ?? 'invalid action'}`, { cause: parsed.error });
}

/** Every stage that depends on `name`, directly or through others. */
function dependents(name: string, stages: readonly ResolvedStage[]): Set<string> {
  const found = new Set<string>();
  const queue = [name];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const stage of stages) {
      if ((stage.dependsOn ?? []).includes(next) && !found.has(stage.name)) {
        found.add(stage.name);
        queue.push(stage.name);
      }
    }
  }
  return found;
}

interface Layout {
  forward: readonly ResolvedStage[];
  steps: readonly RollbackStep[];
  used: Set<string>;
  /** The execution it reverts: the workflow reference of a step whose forward workflow is not found. */
  target: { name: string; namespace: string };
}

function revertWorkflow(layout: Layout, stage: ResolvedStage, index: number): ResolvedWorkflow | undefined {
  const steps = layout.steps.filter((step) => step.stage === stage.name && step.workflowIndex === index);
  if (steps.length === 0) return undefined;
  const actions = steps.map((step) => revertAction(step, uniqueName(`${step.stage}.${step.workflowIndex}.${step.actionName}`, layout.used)));
  const workflowRef = stage.workflows[index]?.workflowRef ?? layout.target;
  return { workflowRef, failurePolicy: 'FailFast', actions };
}

function revertStage(layout: Layout, stage: ResolvedStage, withSteps: ReadonlySet<string>): ResolvedStage | undefined {
  const indexes = stage.workflows.map((_, index) => index);
  // workflows that ran one after another are undone the later first
  const order = stage.parallel ? indexes : indexes.reverse();
  const workflows = order.flatMap((index) => {
    const workflow = revertWorkflow(layout, stage, index);
    return workflow === undefined ? [] : [workflow];
  });
  if (workflows.length === 0) return undefined;
  const after = [...dependents(stage.name, layout.forward)].filter((name) => withSteps.has(name));
  return { name: stage.name, parallel: stage.parallel, failurePolicy: 'Stop', workflows, ...(after.length === 0 ? {} : { dependsOn: after }) };
}

/** The revert plan of `steps` (in saga order) over the target's frozen plan `forward`. */
export function revertPlan(steps: RollbackStep[], target: { name: string; namespace: string }, forward: ResolvedPlan): ResolvedPlan {
  const stages = forward.stages ?? [];
  const withSteps = new Set(steps.map((step) => step.stage));
  const layout: Layout = { forward: stages, steps, used: new Set(), target };
  const known = new Set(stages.map((stage) => stage.name));
  const stray = steps.find((step) => !known.has(step.stage));
  if (stray !== undefined) throw new Error(`rollback step ${stray.rollbackOf}: stage "${stray.stage}" is not in the plan the execution ran`);
  const revertStages = stages.flatMap((stage) => {
    const built = revertStage(layout, stage, withSteps);
    return built === undefined ? [] : [built];
  });
  return { failurePolicy: 'Stop', stages: revertStages, rollbackSteps: steps };
}

function stepStatus(name: string, step: RollbackStep, at: string): ActionStatus {
  if (step.mode !== 'Skip') return { name, phase: 'Pending', rollbackOf: step.rollbackOf };
  const reason = step.reason ?? 'nothing to roll back';
  return { name, phase: 'Skipped', message: step.effectLeft === true ? `${NOT_UNDONE}: ${reason}` : reason, rollbackOf: step.rollbackOf, completionTime: at };
}

/**
 * The revert's status before its first scheduling decision: Skip steps already `Skipped` (message = the
 * reason), the others `Pending`, every action marked with `rollbackOf`. The execution stays `Pending`: the
 * scheduler starts it (phase, startTime, the RevertStarted event) like any other.
 */
export function initialRevertStatus(plan: ResolvedPlan, now: Date): DRPlanExecutionStatus {
  const steps = plan.rollbackSteps ?? [];
  const stages = plan.stages ?? [];
  if (stages.flatMap((stage) => stage.workflows.flatMap((workflow) => workflow.actions)).length !== steps.length) {
    throw new Error('not a revert plan: expected one action per rollback step');
  }
  const at = now.toISOString();
  const stageStatuses = buildStatusTree(plan, undefined);
  stageStatuses.forEach((stageStatus, s) => {
    const stage = stages[s];
    if (stage === undefined) return;
    // the revert stage's workflows are its forward workflows that have steps, in the order revertPlan laid them out
    const indexes = [...new Set(steps.filter((step) => step.stage === stage.name).map((step) => step.workflowIndex))].sort((a, b) => a - b);
    const order = stage.parallel ? indexes : indexes.reverse();
    (stageStatus.workflowExecutions ?? []).forEach((workflow, w) => {
      const ofWorkflow = steps.filter((step) => step.stage === stage.name && step.workflowIndex === order[w]);
      workflow.actionStatuses = (workflow.actionStatuses ?? []).map((action, a) => {
        const step = ofWorkflow[a];
        return step === undefined ? action : stepStatus(action.name, step, at);
      });
    });
  });
  return { phase: 'Pending', progress: executionProgress(stageStatuses), stageStatuses, summary: computeSummary(stageStatuses), resolved: plan };
}
