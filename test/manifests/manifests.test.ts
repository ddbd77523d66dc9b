import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { admitCustomResource } from '../../local/apiserver/schema.js';
import type { KubeObject } from '../../shared/kube/types.js';
import { CLUSTER_SCOPED, CoreSchemas, issuesOf } from './core-schemas.js';
import type { Manifest } from './manifests.js';
import { BROKER, crdSchemas, findObject, KNATIVE_DIR, loadManifests, NAMESPACE, readManifestFile, recordAt, stringAt } from './manifests.js';
import { isRecord } from '../../shared/type-utils.js';

const schemas = crdSchemas();
const keyOf = (object: KubeObject): string => `${object.apiVersion} ${object.kind}`;
const where = (manifest: Manifest): string => `${manifest.file}#${manifest.index} ${manifest.object.kind}/${manifest.object.metadata.name ?? '?'}`;

/** Paths present in `sent` and gone from `stored`: what a real API server would silently prune. */
function droppedPaths(sent: unknown, stored: unknown, path = ''): string[] {
  if (Array.isArray(sent)) {
    const kept = Array.isArray(stored) ? (stored as unknown[]) : [];
    return sent.flatMap((item, index) => droppedPaths(item, kept[index], `${path}[${index}]`));
  }
  if (!isRecord(sent)) return [];
  if (!isRecord(stored)) return [path];
  return Object.entries(sent).flatMap(([key, value]) => {
    const next = path === '' ? key : `${path}.${key}`;
    return key in stored ? droppedPaths(value, stored[key], next) : [next];
  });
}

/**
 * Fields the schema does not declare where it lists the properties of an object, even under
 * `x-kubernetes-preserve-unknown-fields` (kept by the API server, refused by Knative's webhooks, which
 * decode strictly): a typo such as `filter` for `filters` in a Trigger.
 */
function undeclaredPaths(value: unknown, schema: unknown, path = ''): string[] {
  if (!isRecord(schema)) return [];
  if (Array.isArray(value)) return value.flatMap((item, index) => undeclaredPaths(item, schema.items, `${path}[${index}]`));
  if (!isRecord(value)) return [];
  const properties = isRecord(schema.properties) ? schema.properties : undefined;
  return Object.entries(value).flatMap(([key, item]) => {
    const next = path === '' ? key : `${path}.${key}`;
    if (properties === undefined) return isRecord(schema.additionalProperties) ? undeclaredPaths(item, schema.additionalProperties, next) : [];
    return key in properties ? undeclaredPaths(item, properties[key], next) : [next];
  });
}

/** What a real API server would say about one object: schema causes, pruned fields, or the core schema's issues. */
function problemsOf(object: KubeObject): string[] {
  const schema = schemas.get(keyOf(object));
  if (schema !== undefined) {
    const admission = admitCustomResource(schema, object, object.kind);
    const causes = admission.causes.map((cause) => `${cause.field}: ${cause.message}`);
    const pruned = droppedPaths(object, admission.object).map((path) => `${path}: unknown field, pruned`);
    const { apiVersion: _apiVersion, kind: _kind, metadata: _metadata, ...body } = object;
    const undeclared = undeclaredPaths(body, schema).map((path) => `${path}: not in the schema`);
    return [...causes, ...new Set([...pruned, ...undeclared])];
  }
  const core = CoreSchemas[object.kind];
  if (core === undefined) return [`${keyOf(object)}: no schema to validate it against`];
  const parsed = core.safeParse(object);
  return parsed.success ? [] : issuesOf(parsed.error);
}

const exampleFiles = readdirSync(join(KNATIVE_DIR, 'kafka'))
  .filter((name) => name.endsWith('.yaml.example'))
  .map((name) => join(KNATIVE_DIR, 'kafka', name));

describe('the manifests under knative/', () => {
  test('parse into Kubernetes objects, each with an apiVersion, a kind and a name', () => {
    // Act
    const manifests = loadManifests();

    // Assess
    assert.ok(manifests.length > 40, `${manifests.length} objects read`);
    const incomplete = manifests.filter(
      ({ object }) =>
        typeof object.apiVersion !== 'string' ||
        typeof object.kind !== 'string' ||
        typeof (object.metadata as { name?: unknown } | undefined)?.name !== 'string',
    );
    assert.deepEqual(incomplete.map(where), []);
  });

  for (const manifest of loadManifests()) {
    test(`${where(manifest)} is valid against its ${schemas.has(keyOf(manifest.object)) ? 'upstream CRD schema, with no field pruned' : 'core schema'}`, () => {
      // Act
      const problems = problemsOf(manifest.object);

      // Assess
      assert.deepEqual(problems, []);
    });
  }

  test('put every namespaced object in drplan-system and leave cluster-scoped ones without a namespace', () => {
    // Act
    const misplaced = loadManifests().filter(({ object }) =>
      CLUSTER_SCOPED.has(object.kind) ? object.metadata.namespace !== undefined : object.metadata.namespace !== NAMESPACE,
    );

    // Assess
    assert.deepEqual(misplaced.map(where), []);
  });

  test('name no two objects of one kind alike', () => {
    // Act
    const seen = new Map<string, string>();
    const duplicates = loadManifests().flatMap((manifest) => {
      const key = `${manifest.object.kind} ${manifest.object.metadata.namespace ?? ''}/${manifest.object.metadata.name ?? ''}`;
      const first = seen.get(key);
      seen.set(key, where(manifest));
      return first === undefined ? [] : [`${where(manifest)} repeats ${first}`];
    });

    // Assess
    assert.deepEqual(duplicates, []);
  });

  test('apply the namespace before anything in it, as kubectl apply -R walks them', () => {
    // Act
    const manifests = loadManifests();
    const namespaceAt = manifests.findIndex(({ object }) => object.kind === 'Namespace' && object.metadata.name === NAMESPACE);
    const firstInside = manifests.findIndex(({ object }) => object.metadata.namespace === NAMESPACE);

    // Assess
    assert.equal(manifests[0]?.file, join('knative', '00-namespace.yaml'));
    assert.ok(namespaceAt >= 0 && namespaceAt < firstInside, `namespace at ${namespaceAt}, first object in it at ${firstInside}`);
  });

  test('contain no DR custom resource, so applying the generated CRDs last (crds/ sorts after the numbered folders) is safe', () => {
    // Act
    const custom = loadManifests().filter(({ object }) => object.apiVersion.startsWith('dr.bkbcs.tencent.com/'));

    // Assess
    assert.deepEqual(custom.map(where), []);
  });
});

describe('the Kafka switch in knative/kafka/', () => {
  test('is kept out of kubectl apply -R and the local stack by its .example suffix, and still parses and validates', () => {
    // Act
    const examples = exampleFiles.flatMap(readManifestFile);

    // Assess
    assert.deepEqual(examples.map((manifest) => manifest.object.kind).sort(), ['Broker', 'ConfigMap']);
    assert.ok(loadManifests().every((manifest) => !manifest.file.startsWith(join('knative', 'kafka'))));
    assert.deepEqual(
      examples.flatMap((manifest) => problemsOf(manifest.object).map((problem) => `${where(manifest)}: ${problem}`)),
      [],
    );
  });

  test('replaces the drplan Broker with the same delivery, on class Kafka, configured by the example ConfigMap', () => {
    // Prepare
    const examples = exampleFiles.flatMap(readManifestFile).map((manifest) => manifest.object);
    const kafka = examples.find((object) => object.kind === 'Broker');
    const config = examples.find((object) => object.kind === 'ConfigMap');
    const current = findObject('Broker', BROKER);

    // Assess
    assert.ok(kafka && config && current);
    assert.equal(kafka.metadata.name, BROKER);
    assert.equal(kafka.metadata.annotations?.['eventing.knative.dev/broker.class'], 'Kafka');
    assert.equal(current.metadata.annotations?.['eventing.knative.dev/broker.class'], 'MTChannelBasedBroker');
    assert.deepEqual(recordAt(kafka, 'spec', 'delivery'), recordAt(current, 'spec', 'delivery'));
    assert.deepEqual(
      [stringAt(kafka, 'spec', 'config', 'kind'), stringAt(kafka, 'spec', 'config', 'name'), stringAt(kafka, 'spec', 'config', 'namespace')],
      ['ConfigMap', config.metadata.name, config.metadata.namespace],
    );
    assert.ok(stringAt(config, 'data', 'bootstrap.servers'), 'the ConfigMap names the Kafka bootstrap servers');
  });
});
