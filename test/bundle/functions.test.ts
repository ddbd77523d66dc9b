/**
 * The built bundles (dist/<name>/index.js), each started under faas-js-runtime as a real process against
 * the local API server, receiving CloudEvents exactly as ApiServerSource, PingSource and the broker
 * send them. What the wiring promises: a reply is a binary-mode CloudEvent (ce-type header, not JSON),
 * nothing to do is 204, a malformed event is 400 naming the field, the probes answer, and /metrics shows
 * our metrics beside the runtime's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createKube } from '../../shared/kube/client.js';
import type { Kube } from '../../shared/kube/types.js';
import { drWorkflow, startLocalApiServer, type LocalApiServer } from '../support/infra-helpers.js';
import { apiServerEvent, buildBundles, post, postEvent, startFunction, tickEvent, type RunningFunction } from './harness.js';
import { startRelay, type Relay } from './relay.js';
import { startTarget, type Target } from './target.js';

const FUNCTIONS = ['validate-workflow', 'validate-plan', 'plan-stages', 'revert', 'cancel', 'run-action'] as const;
type FunctionName = (typeof FUNCTIONS)[number];

const WORKFLOW_VALIDATED = 'com.tencent.bkbcs.dr.workflow.validated';
const workflowKey = (name: string) => ({ apiVersion: 'dr.bkbcs.tencent.com/v1alpha1', kind: 'DRWorkflow', name, namespace: 'default' });

describe('the built functions under faas-js-runtime', { timeout: 120_000 }, () => {
  let local: LocalApiServer;
  let kube: Kube;
  let relay: Relay;
  let target: Target;
  const running = new Map<FunctionName, RunningFunction>();
  const urlOf = (name: FunctionName): string => {
    const fn = running.get(name);
    if (fn === undefined) throw new Error(`${name} is not running`);
    return fn.url;
  };

  before(async () => {
    buildBundles();
    local = await startLocalApiServer();
    kube = createKube(local.kubeConfig);
    relay = await startRelay((name) => urlOf(name as FunctionName));
    target = await startTarget();
    const env = { KUBECONFIG: local.server.kubeconfigPath, K_SINK: relay.sinkUrl };
    const started = await Promise.all(FUNCTIONS.map((name) => startFunction(name, env)));
    for (const fn of started) running.set(fn.name as FunctionName, fn);
  });

  after(async () => {
    await Promise.all([...running.values()].map((fn) => fn.stop()));
    await Promise.all([relay.close(), target.close()]);
    await local.dispose();
  });

  for (const name of FUNCTIONS) {
    describe(name, () => {
      test('answers its readiness and liveness probes', async () => {
        for (const path of ['/health/readiness', '/health/liveness']) {
          const response = await fetch(`${urlOf(name)}${path}`);
          assert.equal(response.status, 200, path);
          assert.equal(await response.text(), 'OK');
        }
      });

      test('serves the drplan metrics beside the runtime metrics on /metrics', async () => {
        const response = await fetch(`${urlOf(name)}/metrics`);
        const text = await response.text();
        assert.equal(response.status, 200);
        assert.match(text, /# TYPE faas_invocations counter/);
        for (const metric of ['drplan_actions_total', 'drplan_action_duration_seconds', 'drplan_executions_total', 'drplan_action_retries_total']) {
          assert.match(text, new RegExp(`# TYPE ${metric} `), metric);
        }
      });

      test('answers 400 naming the field for a malformed ApiServerSource event', async () => {
        // Prepare
        const malformed = apiServerEvent('add', { ...drWorkflow('x'), metadata: { namespace: 'default' } }, local.server.secureUrl);
        // Act
        const answer = await postEvent(urlOf(name), malformed);
        // Assess
        assert.equal(answer.status, 400, answer.text);
        assert.match(answer.text, /data\.metadata\.name/);
      });

      test('answers 400 for our own event with invalid data', async () => {
        const answer = await postEvent(urlOf(name), { type: 'com.tencent.bkbcs.dr.action.finished', data: { phase: 'Done' } });
        assert.equal(answer.status, 400, answer.text);
        assert.match(answer.text, /com\.tencent\.bkbcs\.dr\.action\.finished: data\./);
      });

      test('answers 204 to an event type that is not for it', async () => {
        const answer = await postEvent(urlOf(name), { type: 'dev.knative.apiserver.ref.add', data: { kind: 'Pod' } });
        assert.equal(answer.status, 204);
        assert.equal(answer.text, '');
      });
    });
  }

  test('a POST that is not a CloudEvent is a 400', async () => {
    const answer = await post(urlOf('validate-workflow'), { 'content-type': 'application/json' }, '{"hello":"world"}');
    assert.equal(answer.status, 400);
    assert.match(answer.text, /not a CloudEvent/);
  });

  describe('validate-workflow', () => {
    test('replies to a new workflow with a workflow.validated CloudEvent in binary mode and writes its status', async () => {
      // Prepare
      const created = await kube.create(drWorkflow('bundle-ready'));
      // Act
      const answer = await postEvent(urlOf('validate-workflow'), apiServerEvent('add', created, local.server.secureUrl));
      // Assess
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.headers.get('ce-type'), WORKFLOW_VALIDATED);
      assert.equal(answer.headers.get('ce-source'), '/drplan-functions/validate-workflow');
      assert.equal(answer.headers.get('ce-subject'), 'default/bundle-ready');
      assert.equal(answer.headers.get('ce-specversion'), '1.0');
      assert.deepEqual(answer.json, { workflow: { name: 'bundle-ready', namespace: 'default' }, phase: 'Ready', generation: 1 });
      const stored = await kube.get(workflowKey('bundle-ready'));
      assert.equal((stored?.status as { phase?: string } | undefined)?.phase, 'Ready');
    });

    test('the same event delivered again writes nothing new', async () => {
      // Prepare
      const created = await kube.create(drWorkflow('bundle-twice'));
      const event = apiServerEvent('add', created, local.server.secureUrl);
      await postEvent(urlOf('validate-workflow'), event);
      const first = await kube.get(workflowKey('bundle-twice'));
      // Act
      const again = await postEvent(urlOf('validate-workflow'), event);
      // Assess
      assert.ok(again.status === 200 || again.status === 204, again.text);
      if (again.status === 200) assert.equal(again.headers.get('ce-type'), WORKFLOW_VALIDATED);
      const second = await kube.get(workflowKey('bundle-twice'));
      assert.equal(second?.metadata.resourceVersion, first?.metadata.resourceVersion);
    });

    test('answers 204 when the workflow is already gone', async () => {
      const answer = await postEvent(urlOf('validate-workflow'), apiServerEvent('delete', drWorkflow('bundle-never-stored'), local.server.secureUrl));
      assert.equal(answer.status, 204, answer.text);
    });

    test('a resync tick answers without an error', async () => {
      const answer = await postEvent(urlOf('validate-workflow'), tickEvent);
      assert.ok(answer.status === 200 || answer.status === 204, answer.text);
      if (answer.status === 200) assert.equal(answer.headers.get('ce-type'), WORKFLOW_VALIDATED);
    });
  });

  describe('chained through a relay that plays the broker', () => {
    const DR = 'dr.bkbcs.tencent.com/v1alpha1';
    const httpWorkflow = (name: string, path: string) => ({
      apiVersion: DR,
      kind: 'DRWorkflow',
      metadata: { name, namespace: 'default' },
      spec: { actions: [{ name: 'call', type: 'HTTP', http: { url: `${target.url}${path}`, method: 'POST' } }] },
    });

    test('a plan with a parallel stage runs to Succeeded, each HTTP attempt reaching the target once', async () => {
      // Prepare
      const workflows = await Promise.all([kube.create(httpWorkflow('relay-a', '/a')), kube.create(httpWorkflow('relay-b', '/b'))]);
      await relay.run(workflows.map((w) => apiServerEvent('add', w, local.server.secureUrl)));
      const plan = await kube.create({
        apiVersion: DR,
        kind: 'DRPlan',
        metadata: { name: 'relay-plan', namespace: 'default' },
        spec: { stages: [{ name: 'both', parallel: true, workflows: [{ workflowRef: { name: 'relay-a' } }, { workflowRef: { name: 'relay-b' } }] }] },
      });
      await relay.run([apiServerEvent('add', plan, local.server.secureUrl)]);
      const execution = await kube.create({
        apiVersion: DR,
        kind: 'DRPlanExecution',
        metadata: { name: 'relay-exec', namespace: 'default' },
        spec: { planRef: 'relay-plan', operationType: 'Execute' },
      });
      // Act
      await relay.run([apiServerEvent('add', execution, local.server.secureUrl)]);
      // Assess
      const stored = await kube.get({ apiVersion: DR, kind: 'DRPlanExecution', name: 'relay-exec', namespace: 'default' });
      assert.equal((stored?.status as { phase?: string } | undefined)?.phase, 'Succeeded', JSON.stringify(stored?.status));
      assert.deepEqual(target.requests.map((r) => r.path).sort(), ['/a', '/b']);
      assert.equal(new Set(target.requests.map((r) => r.idempotencyKey)).size, 2);
      const replies = relay.deliveries.filter((d) => d.status === 200).map((d) => `${d.to}: ${d.type} → ${d.reply ?? ''}`);
      assert.ok(replies.includes('plan-stages: dev.knative.apiserver.resource.add → com.tencent.bkbcs.dr.action.requested'), replies.join('\n'));
      // run-action takes the step that follows each result (ADR 12): the second result ends the execution
      assert.ok(replies.includes('run-action: com.tencent.bkbcs.dr.action.requested → com.tencent.bkbcs.dr.execution.finished'), replies.join('\n'));
      assert.deepEqual(
        replies.filter((r) => r.includes('action.finished')),
        [],
        'no action.finished was needed',
      );
      // The parallel stage's second request was the second reply of one event: posted to the sink.
      assert.deepEqual(relay.sunk, ['com.tencent.bkbcs.dr.action.requested']);
      const events = await kube.list('v1', 'Event', { namespace: 'default' });
      const reasons = events.filter((e) => (e.involvedObject as { name?: string }).name === 'relay-exec').map((e) => String(e.reason));
      assert.deepEqual(reasons.filter((r) => r.startsWith('Execution')).sort(), ['ExecutionStarted', 'ExecutionSucceeded']);
      assert.equal(reasons.filter((r) => r === 'ActionSucceeded').length, 2);
    });

    test('every event delivered twice and in shuffled order still ends Succeeded, each HTTP effect once', async () => {
      // Prepare
      const workflows = await Promise.all([kube.create(httpWorkflow('dup-a', '/dup-a')), kube.create(httpWorkflow('dup-b', '/dup-b'))]);
      const chaos = { duplicate: true, shuffleSeed: 7, maxSteps: 400 };
      await relay.run(
        workflows.map((w) => apiServerEvent('add', w, local.server.secureUrl)),
        chaos,
      );
      const plan = await kube.create({
        apiVersion: DR,
        kind: 'DRPlan',
        metadata: { name: 'dup-plan', namespace: 'default' },
        spec: {
          stages: [
            { name: 'first', parallel: true, workflows: [{ workflowRef: { name: 'dup-a' } }, { workflowRef: { name: 'dup-b' } }] },
            { name: 'second', dependsOn: ['first'], workflows: [{ workflowRef: { name: 'dup-a' } }] },
          ],
        },
      });
      await relay.run([apiServerEvent('add', plan, local.server.secureUrl)], chaos);
      const execution = await kube.create({
        apiVersion: DR,
        kind: 'DRPlanExecution',
        metadata: { name: 'dup-exec', namespace: 'default' },
        spec: { planRef: 'dup-plan', operationType: 'Execute' },
      });
      const before = target.requests.length;
      // Act
      await relay.run([apiServerEvent('add', execution, local.server.secureUrl)], chaos);
      // Assess
      const stored = await kube.get({ apiVersion: DR, kind: 'DRPlanExecution', name: 'dup-exec', namespace: 'default' });
      const status = (stored?.status ?? {}) as { phase?: string; progress?: string };
      assert.equal(status.phase, 'Succeeded', JSON.stringify(status));
      assert.equal(status.progress, '3/3 actions');
      const seen = target.requests.slice(before);
      assert.deepEqual(seen.map((r) => r.path).sort(), ['/dup-a', '/dup-a', '/dup-b']);
      assert.equal(new Set(seen.map((r) => r.idempotencyKey)).size, 3, 'each attempt reached the target once');
      assert.ok(
        relay.deliveries.some((d) => d.to === 'run-action' && d.status === 204),
        'a duplicate request was answered with no work',
      );
    });
  });
});
