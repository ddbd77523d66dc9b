import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import * as promClient from 'prom-client';
import {
  exposeOnRuntimeRegistry,
  metricsText,
  MetricNames,
  recordActionFinished,
  recordActionRetry,
  recordExecutionFinished,
  runtimePromClient,
} from '../../../shared/runtime/metrics.js';

/** A registry made the way faas-js-runtime 3 makes its own. */
function runtimeRegistry(): promClient.Registry {
  const registry = new promClient.Registry();
  new promClient.Counter({ name: 'faas_invocations', help: 'invocations', registers: [registry] });
  return registry;
}

describe('the drplan metrics', () => {
  test('every metric is declared with its help and type, even before anything is recorded', async () => {
    const text = await metricsText();
    for (const [name, type] of [
      [MetricNames.actions, 'counter'],
      [MetricNames.actionDuration, 'histogram'],
      [MetricNames.executions, 'counter'],
      [MetricNames.retries, 'counter'],
    ]) {
      assert.match(text, new RegExp(`# TYPE ${name} ${type}`));
    }
  });

  test('a finished action counts by type and result and observes its duration', async () => {
    // Act
    recordActionFinished('HTTP', 'Succeeded', 0.2);
    recordActionFinished('HTTP', 'Succeeded', 3);
    recordActionFinished('Job', 'Failed');
    // Assess
    const text = await metricsText();
    assert.match(text, /drplan_actions_total\{type="HTTP",result="Succeeded"\} 2/);
    assert.match(text, /drplan_actions_total\{type="Job",result="Failed"\} 1/);
    assert.match(text, /drplan_action_duration_seconds_count\{type="HTTP"\} 2/);
    assert.match(text, /drplan_action_duration_seconds_sum\{type="HTTP"\} 3.2/);
    assert.doesNotMatch(text, /drplan_action_duration_seconds_count\{type="Job"\}/);
  });

  test('a duration that is not a finite non-negative number is not observed', async () => {
    recordActionFinished('Subscription', 'Succeeded', Number.NaN);
    recordActionFinished('Subscription', 'Succeeded', -1);
    const text = await metricsText();
    assert.match(text, /drplan_actions_total\{type="Subscription",result="Succeeded"\} 2/);
    assert.doesNotMatch(text, /drplan_action_duration_seconds_count\{type="Subscription"\}/);
  });

  test('retries and finished executions count with their labels', async () => {
    recordActionRetry('KubernetesResource');
    recordExecutionFinished('Cancelled', 'Execute');
    const text = await metricsText();
    assert.match(text, /drplan_action_retries_total\{type="KubernetesResource"\} 1/);
    assert.match(text, /drplan_executions_total\{phase="Cancelled",operation="Execute"\} 1/);
  });
});

describe('exposing the metrics on the runtime registry', () => {
  let undo: () => void = () => undefined;
  afterEach(() => {
    undo();
  });

  test('a runtime registry does not show our metrics by itself', async () => {
    const text = await runtimeRegistry().metrics();
    assert.doesNotMatch(text, /drplan_/);
  });

  test('once exposed, a runtime registry shows its own metrics and ours', async () => {
    // Prepare
    recordExecutionFinished('Succeeded', 'Revert');
    // Act
    undo = exposeOnRuntimeRegistry(promClient);
    const text = await runtimeRegistry().metrics();
    // Assess
    assert.match(text, /# TYPE faas_invocations counter/);
    assert.match(text, /drplan_executions_total\{phase="Succeeded",operation="Revert"\} 1/);
    assert.match(text, /# TYPE drplan_action_duration_seconds histogram/);
  });

  test('exposing twice adds our metrics once', async () => {
    undo = exposeOnRuntimeRegistry(promClient);
    exposeOnRuntimeRegistry(promClient);
    const text = await runtimeRegistry().metrics();
    assert.equal(text.split('# TYPE drplan_actions_total').length - 1, 1);
  });

  test('our own registry is not doubled', async () => {
    undo = exposeOnRuntimeRegistry(promClient);
    const text = await promClient.register.metrics();
    assert.equal(text.split('# TYPE drplan_actions_total').length - 1, 1);
  });

  test('a metric the runtime registry already has is not added a second time', async () => {
    // Prepare
    undo = exposeOnRuntimeRegistry(promClient);
    const registry = runtimeRegistry();
    new promClient.Counter({ name: MetricNames.retries, help: 'theirs', registers: [registry] });
    // Act
    const text = await registry.metrics();
    // Assess
    assert.equal(text.split(`# TYPE ${MetricNames.retries}`).length - 1, 1);
    assert.match(text, /# HELP drplan_action_retries_total theirs/);
  });

  test('undoing restores the runtime registry to its own metrics', async () => {
    exposeOnRuntimeRegistry(promClient)();
    const text = await runtimeRegistry().metrics();
    assert.doesNotMatch(text, /drplan_/);
  });

  test('there is no runtime prom-client to find when the process was not started by a CommonJS program', () => {
    // node --test with tsx starts the test file as an ES module: no require.main to ask.
    assert.equal(runtimePromClient(), undefined);
  });
});
