/**
 * A drill of the failover example on the local stack (spec.dryRun): every action is tried without
 * effect and says what would have happened — the ConfigMap's change, the Job and the Localization it
 * would create, the HTTP calls it would send — nothing is created or changed, the demo target sees only
 * the requests the actions declare for dry runs, and the plan is neither locked nor given a history
 * record. Then the same drill with the plan's account no longer allowed to create Jobs: the refusal is
 * reported on the Job's action.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DRPlanExecutionStatus } from '../../shared/api/index.js';
import type { KubeObject } from '../../shared/kube/types.js';
import { allowing, localStackOnly } from '../support/e2e-cluster.js';
import { applyExample, isFinished, jobNames, poll, startE2eEnvWith, waitForStatus, type E2eEnv } from '../support/e2e-helpers.js';

const NAMESPACE = 'shop';
const ROLE = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', name: 'shop-failover', namespace: NAMESPACE };
const CONFIG_MAP = { apiVersion: 'v1', kind: 'ConfigMap', name: 'shop-active-site', namespace: NAMESPACE };
const PLAN = { apiVersion: 'dr.bkbcs.tencent.com/v1alpha1', kind: 'DRPlan', name: 'shop-failover', namespace: NAMESPACE };

const messages = (status: DRPlanExecutionStatus): Record<string, string> =>
  Object.fromEntries(
    (status.stageStatuses ?? []).flatMap((stage) =>
      (stage.workflowExecutions ?? []).flatMap((workflow, index) =>
        (workflow.actionStatuses ?? []).map((action) => [`${stage.name}/${index}/${action.name}`, `${action.phase}: ${action.message ?? ''}`]),
      ),
    ),
  );

describe('a dry run of the failover example', { skip: localStackOnly('it reads the demo target and the stack directly'), timeout: allowing(180_000) }, () => {
  let env: E2eEnv | undefined;
  let execute: KubeObject;
  const running = (): E2eEnv => {
    assert.ok(env !== undefined, 'the environment did not start');
    return env;
  };
  const dryRunOf = (name: string): KubeObject => ({ ...execute, metadata: { ...execute.metadata, name }, spec: { ...(execute.spec as object), dryRun: true } });

  before(async () => {
    env = await startE2eEnvWith({});
    execute = await applyExample(env);
  });
  after(async () => {
    await env?.stop();
  });

  test("shows every action's outcome and the change it would make, creates nothing, and sends only the declared checks", async () => {
    const current = running();
    const routingBefore = await current.kube.get(CONFIG_MAP);
    assert.ok(routingBefore !== undefined, 'the example installs the ConfigMap');
    const before = current.target.requests().length;

    await current.kube.create(dryRunOf('drill-1'));
    const status = await waitForStatus(current, 'drill-1', isFinished, allowing(60_000));

    assert.equal(status.phase, 'Succeeded', status.message);
    const said = messages(status);
    assert.equal(Object.keys(said).length, 9);
    for (const [path, message] of Object.entries(said)) assert.match(message, /^Succeeded: dry run: /, path);
    assert.match(said['drain-primary/0/enter-maintenance'] ?? '', /not sent — would send POST http:\/\/127\.0\.0\.1:\d+\/primary\/maintenance/);
    assert.match(said['drain-primary/0/scale-down-primary'] ?? '', /would create Localization clusternet-cluster-a\/shop-web-drain-primary/);
    assert.match(said['promote-database/0/promote-replica'] ?? '', /would create Job shop\/.+ as system:serviceaccount:shop:shop-failover/);
    assert.match(
      said['switch-over/0/activate-secondary'] ?? '',
      /ConfigMap shop\/shop-active-site: would change data\.activeSite: "primary" → "secondary"; data\.databaseHost: "[^"]+" → "[^"]+" \(as /,
    );
    assert.match(said['switch-over/1/switch-traffic'] ?? '', /dry run: GET http:\/\/127\.0\.0\.1:\d+\/traffic answered 200/);
    // nothing created or changed
    assert.deepEqual(await jobNames(current), []);
    assert.equal(
      await current.kube.get({
        apiVersion: 'apps.clusternet.io/v1alpha1',
        kind: 'Localization',
        name: 'shop-web-drain-primary',
        namespace: 'clusternet-cluster-a',
      }),
      undefined,
    );
    assert.deepEqual((await current.kube.get(CONFIG_MAP))?.data, routingBefore.data);
    // only the declared checks reached the target, all of them GETs
    const sent = current.target.requests().slice(before);
    assert.deepEqual([...new Set(sent.map((request) => `${request.method} ${request.path}`))].sort(), [
      'GET /db/status',
      'GET /primary/health',
      'GET /secondary/health',
      'GET /traffic',
    ]);
    // no lock, no history; the plan names its last dry run once the end is recorded
    type PlanStatus = { currentExecution?: unknown; executionHistory?: unknown[]; lastDryRun?: { name: string; phase: string } };
    const plan = await poll(
      async () => {
        const status = (await current.kube.get(PLAN))?.status as PlanStatus | undefined;
        return status?.lastDryRun?.name === 'drill-1' ? status : undefined;
      },
      'the plan to name its last dry run',
      allowing(30_000),
    );
    assert.equal(plan.currentExecution, undefined);
    assert.deepEqual(plan.executionHistory ?? [], []);
    assert.equal(plan.lastDryRun?.phase, 'Succeeded');
  });

  test("reports the refusal when the plan's account may not create the Job", async () => {
    const current = running();
    const role = await current.kube.get(ROLE);
    assert.ok(role !== undefined);
    const rules = (role as { rules?: { resources?: string[]; verbs?: string[] }[] }).rules ?? [];
    const withoutJobCreate = rules.map((rule) =>
      rule.resources?.includes('jobs') === true ? { ...rule, verbs: (rule.verbs ?? []).filter((verb) => verb !== 'create') } : rule,
    );
    await current.kube.mergePatch(ROLE, { rules: withoutJobCreate });

    await current.kube.create(dryRunOf('drill-2'));
    const status = await waitForStatus(current, 'drill-2', isFinished, allowing(60_000));

    assert.equal(status.phase, 'Failed');
    assert.match(
      status.message ?? '',
      /action "promote-replica" failed: dry run: creating Job shop\/.+ as system:serviceaccount:shop:shop-failover.*forbidden/i,
    );
    assert.deepEqual(await jobNames(current), []);
  });
});
