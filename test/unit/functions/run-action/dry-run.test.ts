/** A dry run (spec.dryRun): every action tried without effect, and the status says what would have happened. */
import { strict as assert } from 'node:assert';
import { after, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { createRunAction } from '../../../../functions/run-action/run-action.js';
import { differences } from '../../../../functions/run-action/rehearse.js';
import type { Action } from '../../../../shared/api/index.js';
import { FakeKube } from '../../../support/fake-kube.js';
import type { Target } from '../../../support/run-action-helpers.js';
import { answer, executionObject, httpAction, NS, pathOf, planOf, requested, startedStatus, startTarget, world } from '../../../support/run-action-helpers.js';

const CM_KEY = { apiVersion: 'v1', kind: 'ConfigMap', name: 'routing', namespace: NS };
const servers: Target[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** A world whose execution is a dry run of `actions`, the first one requested. */
function dryWorld(actions: readonly Action[], kube = new FakeKube()) {
  const object = executionObject(startedStatus(planOf(actions)));
  return world({ ...object, spec: { ...(object.spec as object), dryRun: true } }, { kube });
}

const resource = (operation: string, manifest: Record<string, unknown>): Action =>
  ({ name: 'switch', type: 'KubernetesResource', timeout: '1m', resource: { operation, manifest: stringify(manifest) } }) as Action;
const configMap = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'routing' }, data });

describe('a dry run', () => {
  test('a Patch is tried as a server-side dry run: the object is unchanged, the status shows the change it would make', async () => {
    // Prepare
    const w = dryWorld([resource('Patch', configMap({ site: 'b' }))]);
    w.kube.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'routing', namespace: NS }, data: { site: 'a' } });

    // Act
    await createRunAction(w.deps).onActionRequested(requested(pathOf('switch')));

    // Assess
    const action = w.action(pathOf('switch'));
    assert.equal(action?.phase, 'Succeeded');
    assert.equal(action.message, 'dry run: ConfigMap dr/routing: would change data.site: "a" → "b" (as system:serviceaccount:dr:default; nothing was changed)');
    assert.equal(action.outputs?.priorState, undefined, 'no prior state is recorded');
    assert.deepEqual((await w.kube.get(CM_KEY))?.data, { site: 'a' });
    assert.deepEqual(
      w.kube.calls.filter((call) => call.verb === 'mergePatch').map((call) => [call.key, call.as, call.dryRun]),
      [['v1/ConfigMap/dr/routing', 'system:serviceaccount:dr:default', true]],
    );
  });

  test('a Create says what it would create, and creates nothing', async () => {
    const w = dryWorld([resource('Create', configMap({ site: 'b' }))]);
    await createRunAction(w.deps).onActionRequested(requested(pathOf('switch')));
    assert.match(w.action(pathOf('switch'))?.message ?? '', /^dry run: would create ConfigMap dr\/routing /);
    assert.equal(await w.kube.get(CM_KEY), undefined);
  });

  test("a Job is admitted as the plan's account and never created; a refusal fails the action naming it", async () => {
    // Prepare: the plan's account may not create Jobs
    const job: Action = {
      name: 'promote',
      type: 'Job',
      timeout: '5m',
      job: { template: { spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox' }], restartPolicy: 'Never' } } } } },
    };
    const allowed = dryWorld([job]);
    const refused = dryWorld([job]);
    refused.kube.forbid = ({ verb, key }) => verb === 'create' && key.kind === 'Job';

    // Act
    await createRunAction(allowed.deps).onActionRequested(requested(pathOf('promote')));
    await createRunAction(refused.deps).onActionRequested(requested(pathOf('promote')));

    // Assess
    assert.equal(allowed.action(pathOf('promote'))?.phase, 'Succeeded');
    assert.match(allowed.action(pathOf('promote'))?.message ?? '', /^dry run: would create Job dr\/.+ as system:serviceaccount:dr:default/);
    assert.equal((await allowed.kube.list('batch/v1', 'Job')).length, 0);
    const failed = refused.action(pathOf('promote'));
    assert.equal(failed?.phase, 'Failed');
    assert.match(failed.message ?? '', /dry run: creating Job .* as system:serviceaccount:dr:default.*forbidden/i);
  });

  test('an HTTP action is not sent unless it declares its dry-run request; the declared one is sent instead', async () => {
    // Prepare
    const server = await startTarget(answer(200));
    servers.push(server);
    const w = dryWorld([
      httpAction('promote', { url: `${server.url}/db/promote`, method: 'POST', body: '{"to":"b"}' }),
      httpAction('check', { url: `${server.url}/db/switch`, method: 'POST', dryRun: { url: `${server.url}/db/ready` } }),
    ]);
    w.deps.config.maxInlineChainMs = 60_000;

    // Act
    await createRunAction(w.deps).onActionRequested(requested(pathOf('promote')));

    // Assess: only the declared readiness check reached the target, as a GET without a body
    assert.deepEqual(
      server.requests.map((request) => `${request.method} ${request.url} ${request.body}`),
      ['GET /db/ready '],
    );
    assert.match(w.action(pathOf('promote'))?.message ?? '', /^dry run: not sent — would send POST http:\/\/127\.0\.0\.1:\d+\/db\/promote/);
    assert.match(w.action(pathOf('check'))?.message ?? '', /^dry run: GET http:\/\/127\.0\.0\.1:\d+\/db\/ready answered 200$/);
    assert.equal(w.status().phase, 'Succeeded');
  });

  test("a change list names each field, and never a Secret's value", () => {
    const before = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', resourceVersion: '1' }, data: { password: 'b2xk' }, type: 'Opaque' };
    const after = { ...before, metadata: { name: 's', resourceVersion: '2' }, data: { password: 'bmV3' }, type: 'kubernetes.io/tls' };
    assert.deepEqual(differences(before, after, true), ['data.password: (changed)', 'type: "Opaque" → "kubernetes.io/tls"']);
  });
});
