import { strict as assert } from 'node:assert';
import { relative } from 'node:path';
import { describe, test } from 'node:test';
import { Finalizers, Kinds } from '../../../../shared/api/index.js';
import { createValidatePlan } from '../../../../functions/validate-plan/validate-plan.js';
import { createValidateWorkflow } from '../../../../functions/validate-workflow/validate-workflow.js';
import type { KubeObject } from '../../../../shared/kube/types.js';
import {
  mustGet,
  planKey,
  readyConditionOf,
  SEED_MANIFESTS,
  seedObjects,
  statusOf,
  testDeps,
  workflowKey,
  type TestDeps,
} from '../../../support/validation-helpers.js';

const seeds = seedObjects();
const ofKind = (kind: string): KubeObject[] => seeds.filter(({ object }) => object.kind === kind).map(({ object }) => object);
const idOf = (object: KubeObject): { name: string; namespace: string } => ({
  name: object.metadata.name ?? '',
  namespace: object.metadata.namespace ?? 'default',
});
const workflows = ofKind(Kinds.workflow);
const plans = ofKind(Kinds.plan);

function applySeeds(): TestDeps {
  const deps = testDeps();
  for (const object of [...workflows, ...plans]) deps.kube.seed(object);
  return deps;
}

async function assertReady(deps: TestDeps, key: ReturnType<typeof planKey>): Promise<void> {
  const condition = await readyConditionOf(deps.kube, key);
  assert.equal((await statusOf(deps.kube, key)).phase, 'Ready', `${key.kind} ${key.name}: ${condition?.message ?? 'no condition'}`);
  assert.equal(condition?.status, 'True');
}

describe('the seed manifests end Ready', () => {
  test('the seed folders hold workflows and plans to check', () => {
    assert.ok(workflows.length >= 5, `found ${workflows.length} workflows under ${relative(process.cwd(), SEED_MANIFESTS)}`);
    assert.ok(plans.length >= 3, `found ${plans.length} plans`);
  });

  test('every seed workflow is Ready and protected by the plans that use it, and every seed plan is Ready', async () => {
    // Prepare
    const deps = applySeeds();
    const validateWorkflow = createValidateWorkflow(deps);
    const validatePlan = createValidatePlan(deps);
    // Act
    for (const workflow of workflows) await validateWorkflow.reconcile(idOf(workflow));
    for (const plan of plans) await validatePlan.reconcile(idOf(plan));
    // Assess
    for (const workflow of workflows) {
      const key = workflowKey(idOf(workflow).name, idOf(workflow).namespace);
      await assertReady(deps, key);
      assert.deepEqual((await mustGet(deps.kube, key)).metadata.finalizers, [Finalizers.workflowProtection], `${key.name} is used by a seed plan`);
    }
    for (const plan of plans) await assertReady(deps, planKey(idOf(plan).name, idOf(plan).namespace));
  });

  test('every seed plan is Ready even before validate-workflow has looked at its workflows', async () => {
    // Prepare
    const deps = applySeeds();
    const validatePlan = createValidatePlan(deps);
    // Act
    for (const plan of plans) await validatePlan.reconcile(idOf(plan));
    // Assess
    for (const plan of plans) await assertReady(deps, planKey(idOf(plan).name, idOf(plan).namespace));
  });
});
