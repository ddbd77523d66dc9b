/**
 * Scenarios that take validate-workflow and validate-plan through every API call they make: a
 * reconcile that writes status and finalizers, the reply-driven re-validation, and the resync.
 */
import { createValidatePlan } from '../../functions/validate-plan/validate-plan.js';
import { createValidateWorkflow } from '../../functions/validate-workflow/validate-workflow.js';
import { Finalizers } from '../../shared/api/index.js';
import type { Outcome } from '../../shared/function-deps.js';
import { finishedExecution, planObject, ref, testDeps, withHistory, workflowObject } from '../support/validation-helpers.js';
import type { Scenario } from './kube-usage.js';

const id = (name: string): { name: string; namespace: string } => ({ name, namespace: 'default' });

export const validateWorkflowScenarios: readonly Scenario[] = [
  {
    name: 'a new workflow a plan uses is validated and protected',
    async run(record) {
      const deps = testDeps();
      deps.kube.seed(workflowObject('wf'));
      deps.kube.seed(planObject('p', [ref('wf')]));
      const core = createValidateWorkflow({ ...deps, kube: record(deps.kube) });
      return [await core.reconcile(id('wf'))];
    },
  },
  {
    name: 'the resync re-validates a workflow whose status is stale',
    async run(record) {
      const deps = testDeps();
      deps.kube.seed(workflowObject('wf'));
      const core = createValidateWorkflow({ ...deps, kube: record(deps.kube) });
      return [await core.resync()];
    },
  },
  {
    name: 'a workflow no plan uses any more loses its protection finalizer',
    async run(record) {
      const deps = testDeps();
      deps.kube.seed(workflowObject('wf', {}, { finalizers: [Finalizers.workflowProtection] }));
      const core = createValidateWorkflow({ ...deps, kube: record(deps.kube) });
      return [await core.reconcile(id('wf'))];
    },
  },
];

export const validatePlanScenarios: readonly Scenario[] = [
  {
    name: 'a new plan is validated and protects the workflows it uses',
    async run(record) {
      const deps = testDeps();
      deps.kube.seed(workflowObject('wf', {}, {}));
      deps.kube.seed(planObject('p', [ref('wf')]));
      const core = createValidatePlan({ ...deps, kube: record(deps.kube) });
      return [await core.reconcile(id('p'))];
    },
  },
  {
    name: 'a validated workflow re-validates the plans that use it',
    async run(record) {
      const deps = testDeps();
      deps.kube.seed(workflowObject('wf'));
      deps.kube.seed(planObject('p', [ref('wf')]));
      const core = createValidatePlan({ ...deps, kube: record(deps.kube) });
      const outcomes: Outcome[] = [await core.onWorkflowValidated({ workflow: id('wf'), phase: 'Ready' })];
      outcomes.push(await core.onWorkflowChanged(id('wf')));
      return outcomes;
    },
  },
  {
    name: "a plan's finished executions beyond its executionHistoryLimit are deleted",
    async run(record) {
      const deps = testDeps();
      deps.kube.seed(workflowObject('wf'));
      deps.kube.seed(withHistory(planObject('p', [ref('wf')], { executionHistoryLimit: 1 }), ['new', 'old']));
      for (const [name, completionTime] of [
        ['old', '2026-01-01T00:00:00Z'],
        ['new', '2026-01-02T00:00:00Z'],
      ] as const) {
        deps.kube.seed(finishedExecution(name, 'p', completionTime));
      }
      const core = createValidatePlan({ ...deps, kube: record(deps.kube) });
      return [await core.reconcile(id('p'))];
    },
  },
  {
    name: 'the resync re-validates a plan whose status is stale',
    async run(record) {
      const deps = testDeps();
      deps.kube.seed(workflowObject('wf'));
      deps.kube.seed(planObject('p', [ref('wf')]));
      const core = createValidatePlan({ ...deps, kube: record(deps.kube) });
      return [await core.resync()];
    },
  },
];
