import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseDuration } from '../../shared/api/index.js';
import type { KubeObject } from '../../shared/kube/types.js';
import { accountName, FunctionNames } from './rbac.js';
import type { FunctionName } from './rbac.js';
import { issuesOf } from './core-schemas.js';
import { FuncYamlSchema, readFuncYaml } from './func-yaml.js';
import { arrayAt, at, BROKER, envOf, findObject, NAMESPACE, objectsOf, recordAt, REPO_ROOT, stringAt } from './manifests.js';

/** How each function scales (docs/adr/0008-knative-manifests.md): validators to zero; orchestrators and run-action stay warm. */
const Scaling: Readonly<Record<FunctionName, Record<string, string>>> = {
  'validate-workflow': { 'min-scale': '0', 'max-scale': '3' },
  'validate-plan': { 'min-scale': '0', 'max-scale': '3' },
  'plan-stages': { 'min-scale': '1', 'max-scale': '3' },
  revert: { 'min-scale': '1', 'max-scale': '3' },
  cancel: { 'min-scale': '1', 'max-scale': '3' },
  'run-action': { 'min-scale': '1', 'max-scale': '20', metric: 'concurrency', target: '10' },
};

const BROKER_INGRESS = `http://broker-ingress.knative-eventing.svc.cluster.local/${NAMESPACE}/${BROKER}`;
/** Objects are at most 1.5 MiB in etcd; an ApiServerSource event carries one whole. */
const LARGEST_OBJECT = 1.5 * 1024 * 1024;

function serviceOf(fn: string): KubeObject {
  const service = findObject('Service', fn);
  assert.ok(service, `no Knative Service ${fn} under knative/20-services/`);
  return service;
}

const containerOf = (service: KubeObject): unknown => at(service, 'spec', 'template', 'spec', 'containers', 0);
const envFrom = (service: KubeObject): Record<string, string | undefined> => envOf(arrayAt(containerOf(service), 'env'));
const autoscaling = (service: KubeObject): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(recordAt(service, 'spec', 'template', 'metadata', 'annotations'))
      .filter(([key]) => key.startsWith('autoscaling.knative.dev/'))
      .map(([key, value]) => [key.slice('autoscaling.knative.dev/'.length), value]),
  );

describe('the Knative Service of each function', () => {
  test('exists for exactly the functions under functions/ that have an entry file', () => {
    // Act
    const built = readdirSync(join(REPO_ROOT, 'functions')).filter((name) => existsSync(join(REPO_ROOT, 'functions', name, 'index.ts')));
    const services = objectsOf('Service').filter((service) => service.metadata.labels?.['app.kubernetes.io/component'] !== 'dead-letter');

    // Assess
    assert.deepEqual(built.sort(), [...FunctionNames].sort());
    assert.deepEqual(services.map((service) => service.metadata.name).sort(), [...FunctionNames].sort());
  });

  for (const fn of FunctionNames) {
    test(`${fn} is cluster-local and runs as its own ServiceAccount, from the image func deploy replaces`, () => {
      // Act
      const service = serviceOf(fn);

      // Assess
      assert.equal(service.metadata.labels?.['networking.knative.dev/visibility'], 'cluster-local');
      assert.equal(stringAt(service, 'spec', 'template', 'spec', 'serviceAccountName'), accountName(fn));
      assert.equal(stringAt(containerOf(service), 'image'), `registry.example/drplan/${fn}:latest`);
    });

    test(`${fn} gets its log level, the 30s reconcile interval, the broker ingress and a body limit above the largest object`, () => {
      // Act
      const env = envFrom(serviceOf(fn));

      // Assess
      assert.equal(env.LOG_LEVEL, 'info');
      assert.equal(parseDuration(env.RECONCILE_INTERVAL ?? ''), 30_000);
      assert.equal(env.BROKER_URL, BROKER_INGRESS);
      assert.ok(Number(env.FUNC_BODY_LIMIT) > LARGEST_OBJECT, `FUNC_BODY_LIMIT ${env.FUNC_BODY_LIMIT ?? 'unset'}`);
      assert.equal(env.ALLOW_PRIVATE_TARGETS, fn === 'run-action' ? 'false' : undefined);
    });

    test(`${fn} is probed on the runtime's readiness and liveness paths, on its serving port`, () => {
      // Act
      const container = containerOf(serviceOf(fn));

      // Assess
      assert.equal(stringAt(container, 'readinessProbe', 'httpGet', 'path'), '/health/readiness');
      assert.equal(stringAt(container, 'livenessProbe', 'httpGet', 'path'), '/health/liveness');
      assert.equal(at(container, 'readinessProbe', 'httpGet', 'port'), undefined);
      assert.equal(at(container, 'livenessProbe', 'httpGet', 'port'), undefined);
      assert.equal(at(container, 'ports', 0, 'containerPort'), 8080);
    });

    test(`${fn} scales as its role asks, with a concurrency limit per replica`, () => {
      // Act
      const service = serviceOf(fn);
      const concurrency = at(service, 'spec', 'template', 'spec', 'containerConcurrency');

      // Assess
      assert.deepEqual(autoscaling(service), Scaling[fn]);
      assert.ok(typeof concurrency === 'number' && concurrency > 0, `containerConcurrency ${String(concurrency)}`);
      const target = Number(Scaling[fn].target ?? 0);
      assert.ok(target <= concurrency, 'the soft target is reached before the hard limit');
    });
  }

  test('every Service, the dead-letter sink included, runs as a ServiceAccount that exists in its namespace', () => {
    // Act
    const missing = objectsOf('Service').filter((service) => {
      const account = stringAt(service, 'spec', 'template', 'spec', 'serviceAccountName');
      return (
        account === undefined || objectsOf('ServiceAccount').every((sa) => sa.metadata.name !== account || sa.metadata.namespace !== service.metadata.namespace)
      );
    });

    // Assess
    assert.ok(objectsOf('Service').length === FunctionNames.length + 1);
    assert.deepEqual(
      missing.map((service) => service.metadata.name),
      [],
    );
  });

  test('the dead-letter sink stays warm, is cluster-local and holds no API token', () => {
    // Act
    const sink = findObject('Service', 'drplan-dead-letter');
    const account = findObject('ServiceAccount', stringAt(sink, 'spec', 'template', 'spec', 'serviceAccountName') ?? '');

    // Assess
    assert.ok(sink && account);
    assert.equal(autoscaling(sink)['min-scale'], '1');
    assert.equal(sink.metadata.labels?.['networking.knative.dev/visibility'], 'cluster-local');
    assert.equal(account.automountServiceAccountToken, false);
  });
});

describe('the func.yaml of each function', () => {
  for (const fn of FunctionNames) {
    test(`${fn}'s is a valid func project of the typescript runtime, built with pack, deployed to drplan-system`, () => {
      // Act
      const parsed = FuncYamlSchema.safeParse(readFuncYaml(fn));

      // Assess
      assert.deepEqual(parsed.success ? [] : issuesOf(parsed.error), []);
      assert.ok(parsed.success);
      assert.deepEqual([parsed.data.name, parsed.data.runtime, parsed.data.build.builder, parsed.data.deploy.namespace], [fn, 'typescript', 'pack', NAMESPACE]);
    });

    test(`${fn}'s deploys what knative/20-services/${fn}.yaml declares`, () => {
      // Prepare
      const service = serviceOf(fn);
      const container = containerOf(service);
      const func = FuncYamlSchema.parse(readFuncYaml(fn));
      const { scale, resources } = func.deploy.options;

      // Assess
      assert.deepEqual(envOf(func.run.envs), envFrom(service));
      assert.equal(func.deploy.serviceAccountName, stringAt(service, 'spec', 'template', 'spec', 'serviceAccountName'));
      assert.deepEqual(Object.fromEntries(func.deploy.labels.map((label) => [label.key, label.value])), service.metadata.labels);
      assert.deepEqual(func.deploy.healthEndpoints, {
        liveness: stringAt(container, 'livenessProbe', 'httpGet', 'path'),
        readiness: stringAt(container, 'readinessProbe', 'httpGet', 'path'),
      });
      const fromFunc: Record<string, string> = { 'min-scale': String(scale.min), 'max-scale': String(scale.max) };
      if (scale.metric !== undefined) fromFunc.metric = scale.metric;
      if (scale.target !== undefined) fromFunc.target = String(scale.target);
      assert.deepEqual(fromFunc, autoscaling(service));
      assert.equal(resources.limits.concurrency, at(service, 'spec', 'template', 'spec', 'containerConcurrency'));
      assert.deepEqual(resources, {
        requests: recordAt(container, 'resources', 'requests'),
        limits: { ...recordAt(container, 'resources', 'limits'), concurrency: resources.limits.concurrency },
      });
    });
  }
});
