import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Action, ActionPhase, ActionStatus, DRPlanExecutionStatus, ResolvedPlan, RollbackStep } from '../../../shared/api/index.js';
import { ActionPhaseSchema, ActionSchema, DRPlanExecutionStatusSchema } from '../../../shared/api/index.js';
import type { RollbackInput } from '../../../shared/engine/rollback.js';
import { planRollback } from '../../../shared/engine/rollback.js';
import { initialRevertStatus, revertPlan } from '../../../shared/engine/revert-plan.js';

// ---- Random targets -------------------------------------------------------------------------------

type Kind = 'http' | 'custom' | 'create';

/** One action of the random plan: how it rolls back, and what its status says. */
interface ActionCase {
  kind: Kind;
  phase: ActionPhase;
  second: number | undefined;
}

const forward = (name: string, kind: Kind): Action => {
  if (kind === 'http') return ActionSchema.parse({ name, type: 'HTTP', http: { url: `http://svc/${name}` } });
  if (kind === 'custom')
    return ActionSchema.parse({ name, type: 'HTTP', http: { url: 'http://svc/do' }, rollback: { type: 'HTTP', http: { url: 'http://svc/undo' } } });
  return ActionSchema.parse({ name, type: 'KubernetesResource', resource: { manifest: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n` } });
};

const actionCase = fc.record({
  kind: fc.constantFrom<Kind>('http', 'custom', 'create'),
  phase: fc.constantFrom(...ActionPhaseSchema.options),
  // Few distinct seconds, so completion ties are common; sometimes no completion time at all.
  second: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
});

/** Stages of workflows of actions; stage and action names may contain the separators `.` and `/`. */
const planCase = fc.array(fc.array(fc.array(actionCase, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 });

const stageName = (s: number): string => (s % 2 === 0 ? `stage-${s}` : `st.${s}`);
const actionName = (a: number): string => (a % 3 === 2 ? `act/${a}` : `act.${a}`);
const pathOf = (s: number, w: number, a: number): string => `${stageName(s)}/${w}/${actionName(a)}`;

function buildTarget(cases: ActionCase[][][]): RollbackInput['target'] {
  const resolved: ResolvedPlan = {
    failurePolicy: 'Continue',
    stages: cases.map((workflows, s) => ({
      name: stageName(s),
      // every other stage depends on the one before it: the revert must wait the other way round
      ...(s % 2 === 1 ? { dependsOn: [stageName(s - 1)] } : {}),
      parallel: s % 3 === 0,
      failurePolicy: 'Continue',
      workflows: workflows.map((actions, w) => ({
        workflowRef: { name: `wf-${w}`, namespace: 'ns' },
        failurePolicy: 'Continue',
        actions: actions.map((c, a) => forward(actionName(a), c.kind)),
      })),
    })),
  };
  const stageStatuses = cases.map((workflows, s) => ({
    name: stageName(s),
    phase: 'Failed' as const,
    workflowExecutions: workflows.map((actions, w) => ({
      workflowRef: { name: `wf-${w}`, namespace: 'ns' },
      phase: 'Failed' as const,
      actionStatuses: actions.map((c, a) => actionStatus(actionName(a), c)),
    })),
  }));
  return { resolved, status: { phase: 'Failed', stageStatuses, resolved } };
}

function actionStatus(name: string, c: ActionCase): ActionStatus {
  const completionTime = c.second === undefined ? undefined : new Date(Date.UTC(2025, 0, 1, 0, 0, c.second)).toISOString();
  const outputs = c.kind === 'create' ? { resourceRef: { apiVersion: 'v1', kind: 'ConfigMap', name, namespace: 'ns' }, created: true } : undefined;
  return { name, phase: c.phase, ...(completionTime === undefined ? {} : { completionTime }), ...(outputs ? { outputs } : {}) };
}

/** The saga rule: succeeded, still running or unknown, or failed after writing its object (a create records its reference). */
const mayHaveEffect = (c: ActionCase): boolean =>
  c.phase === 'Succeeded' || c.phase === 'Unknown' || c.phase === 'Running' || (c.phase === 'Failed' && c.kind === 'create');

/**
 * The oracle: every action that may have had an effect once, keyed by (completion, stage, workflow, action), sorted
 * descending key by key — a missing completion time counts as the earliest.
 */
function expectedOrder(cases: ActionCase[][][]): string[] {
  const keyed = cases.flatMap((workflows, s) =>
    workflows.flatMap((actions, w) => actions.flatMap((c, a) => (mayHaveEffect(c) ? [{ key: [c.second ?? -1, s, w, a], path: pathOf(s, w, a) }] : []))),
  );
  const descending = (x: number[], y: number[]): number => {
    const i = x.findIndex((v, k) => v !== y[k]);
    return i === -1 ? 0 : (y[i] ?? 0) - (x[i] ?? 0);
  };
  return keyed.sort((x, y) => descending(x.key, y.key)).map((k) => k.path);
}

/**
 * The revert plan's actions and their initial statuses line up with the steps: one valid, uniquely named
 * action per step, each marked with its step's `rollbackOf`, Skip steps Skipped; the actions of each
 * revert workflow are its forward workflow's steps in saga order; a revert stage waits for the revert
 * stages of the forward stages that depended on it.
 */
function actionsIn(plan: ResolvedPlan): Action[] {
  return (plan.stages ?? []).flatMap((stage) => stage.workflows.flatMap((workflow) => workflow.actions));
}

function statusesIn(status: DRPlanExecutionStatus): ActionStatus[][] {
  return (status.stageStatuses ?? []).flatMap((stage) => (stage.workflowExecutions ?? []).map((workflow) => workflow.actionStatuses ?? []));
}

/** Each revert stage waits for the revert stages of the forward stages that depended on it. */
function assertReverseDag(plan: ResolvedPlan, forward: ResolvedPlan): void {
  const reverted = new Set((plan.stages ?? []).map((stage) => stage.name));
  for (const stage of plan.stages ?? []) {
    const dependents = (forward.stages ?? []).filter((other) => (other.dependsOn ?? []).includes(stage.name) && reverted.has(other.name));
    for (const other of dependents) assert.ok((stage.dependsOn ?? []).includes(other.name), `${stage.name} waits for ${other.name}`);
  }
}

function assertRunsSteps(steps: RollbackStep[], plan: ResolvedPlan, status: DRPlanExecutionStatus, forward: ResolvedPlan): void {
  const actions = actionsIn(plan);
  for (const a of actions) assert.deepEqual(ActionSchema.parse(a), a);
  assert.equal(new Set(actions.map((a) => a.name)).size, steps.length);
  const workflows = statusesIn(status);
  const statuses = workflows.flat();
  assert.deepEqual(statuses.map((a) => a.rollbackOf).sort(), steps.map((s) => s.rollbackOf).sort());
  const modeOf = new Map(steps.map((step) => [step.rollbackOf, step.mode]));
  for (const a of statuses) assert.equal(a.phase === 'Skipped', modeOf.get(a.rollbackOf ?? '') === 'Skip', a.name);
  const rank = new Map(steps.map((step, index) => [step.rollbackOf, index]));
  for (const workflow of workflows) {
    const order = workflow.map((a) => rank.get(a.rollbackOf ?? '') ?? -1);
    assert.deepEqual(
      order,
      [...order].sort((x, y) => x - y),
      'saga order within a workflow',
    );
  }
  assertReverseDag(plan, forward);
  DRPlanExecutionStatusSchema.parse(status);
}

// ---- Properties -----------------------------------------------------------------------------------

describe('rollback planning properties', () => {
  test('rolls back exactly the actions that may have had an effect, each once, latest completion first and later in the plan first on a tie', () => {
    fc.assert(
      fc.property(planCase, (cases) => {
        // Act
        const steps = planRollback({ target: buildTarget(cases) });
        // Assess
        const paths = steps.map((s) => s.rollbackOf);
        assert.deepEqual(paths, expectedOrder(cases));
        assert.equal(new Set(paths).size, paths.length);
      }),
    );
  });

  test('never rolls back a path that an earlier revert already rolled back, and keeps the order of the rest', () => {
    fc.assert(
      fc.property(planCase, fc.infiniteStream(fc.boolean()), (cases, coin) => {
        // Prepare
        const all = expectedOrder(cases);
        const done = new Set(all.filter(() => coin.next().value));
        // Act
        const steps = planRollback({ target: buildTarget(cases), alreadyRolledBack: done });
        // Assess
        assert.deepEqual(
          steps.map((s) => s.rollbackOf),
          all.filter((p) => !done.has(p)),
        );
      }),
    );
  });

  test('the revert plan runs one valid, uniquely named action per step, in saga order within each workflow, on the reverse of the forward DAG', () => {
    fc.assert(
      fc.property(planCase, (cases) => {
        // Prepare
        const target = buildTarget(cases);
        const steps = planRollback({ target });
        // Act
        const plan = revertPlan(steps, { name: 'exec', namespace: 'ns' }, target.resolved);
        const status = initialRevertStatus(plan, new Date(0));
        // Assess
        assertRunsSteps(steps, plan, status, target.resolved);
      }),
    );
  });
});
