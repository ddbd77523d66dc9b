import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { admitCustomResource } from '../../local/apiserver/schema.js';
import { loadKnativeManifests, ManifestError, readManifestDocuments } from '../../local/eventing/manifests.js';
import { FIXTURE_MANIFESTS, UPSTREAM_CRDS, tempDir } from './helpers.js';

type Json = Record<string, unknown>;

/** `group/version Kind` → the openAPIV3Schema of that version in the upstream Knative CRDs. */
function upstreamSchemas(): Map<string, unknown> {
  const schemas = new Map<string, unknown>();
  for (const file of readdirSync(UPSTREAM_CRDS).filter((name) => name.endsWith('.yaml'))) {
    for (const document of parseAllDocuments(readFileSync(join(UPSTREAM_CRDS, file), 'utf8'))) {
      const crd = document.toJS() as {
        kind?: string;
        spec?: { group: string; names: { kind: string }; versions: { name: string; schema?: { openAPIV3Schema?: unknown } }[] };
      } | null;
      if (crd?.kind !== 'CustomResourceDefinition' || crd.spec === undefined) continue;
      for (const version of crd.spec.versions) schemas.set(`${crd.spec.group}/${version.name} ${crd.spec.names.kind}`, version.schema?.openAPIV3Schema);
    }
  }
  return schemas;
}

describe('reading Knative manifests', () => {
  const scratch = tempDir('manifests');
  after(() => {
    scratch.remove();
  });

  it('reads the fixture folder: brokers, triggers, sources and services, other kinds skipped', () => {
    // Act
    const manifests = loadKnativeManifests(FIXTURE_MANIFESTS);

    // Assess
    assert.deepEqual(
      manifests.brokers.map((b) => `${b.namespace}/${b.name}`),
      ['eventing-test/events'],
    );
    assert.equal(manifests.triggers.length, 8);
    assert.deepEqual(
      manifests.apiServerSources.map((s) => s.name),
      ['configmaps'],
    );
    assert.deepEqual(
      manifests.pingSources.map((s) => s.name),
      ['tick'],
    );
    assert.deepEqual(
      manifests.services.map((s) => s.name),
      ['recorder', 'replier', 'looper', 'flaky', 'failing', 'dead-letter'],
    );
    assert.equal(manifests.triggers[0]?.file, '30-triggers.yaml');
  });

  it('keeps every fixture object valid against the upstream Knative CRD schemas', () => {
    // Prepare
    const schemas = upstreamSchemas();
    const { documents } = readManifestDocuments(FIXTURE_MANIFESTS);
    const knative = documents.map((d) => d.value as Json).filter((value) => typeof value.apiVersion === 'string' && value.apiVersion.includes('knative.dev'));

    // Act
    const problems = knative.flatMap((object) => {
      const schema = schemas.get(`${String(object.apiVersion)} ${String(object.kind)}`);
      if (schema === undefined) return [`no upstream schema for ${String(object.apiVersion)} ${String(object.kind)}`];
      return admitCustomResource(schema, object, String(object.kind)).causes.map((cause) => `${String(object.kind)}: ${cause.field}: ${cause.message}`);
    });

    // Assess
    assert.equal(knative.length, 17);
    assert.deepEqual(problems, []);
  });

  it('reports every problem with its file, object and field, and fails as a whole', () => {
    // Prepare
    const dir = join(scratch.path, 'broken');
    tempWrite(
      dir,
      'a.yaml',
      `
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: no-subscriber, namespace: dr }
spec: { broker: drplan }
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: drplan, namespace: dr }
spec: { delivery: { retry: 3, backoffDelay: 200ms, backoffPolicy: fibonacci } }
---
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: { name: tick, namespace: dr }
spec: { sink: { uri: http://x } }
---
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: { name: late, namespace: dr }
spec: { schedule: '61 * * * *', sink: { uri: http://x } }
`,
    );
    tempWrite(dir, 'b.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: [unclosed\n');

    // Act
    let thrown: unknown;
    try {
      loadKnativeManifests(dir);
    } catch (error: unknown) {
      thrown = error;
    }

    // Assess
    assert.ok(thrown instanceof ManifestError);
    assert.deepEqual(
      thrown.problems.slice(0, 1).map((p) => p.split(':')[0]),
      ['b.yaml'],
    );
    assert.deepEqual(thrown.problems.slice(1), [
      'a.yaml: Trigger dr/no-subscriber: spec.subscriber: Invalid input: expected object, received undefined',
      'a.yaml: Broker dr/drplan: spec.delivery.backoffPolicy: Invalid option: expected one of "linear"|"exponential"',
      'a.yaml: Broker dr/drplan: spec.delivery.backoffDelay: must be an ISO-8601 duration such as PT0.2S or PT1M',
      'a.yaml: PingSource dr/tick: spec.schedule: Invalid input: expected string, received undefined',
      'a.yaml: PingSource dr/late: spec.schedule: minute: "61" is not between 0 and 59',
    ]);
  });

  it('refuses two objects of one kind with the same name, naming both files', () => {
    // Prepare
    const dir = join(scratch.path, 'twins');
    const brokerYaml = 'apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: { name: drplan, namespace: dr }\n';
    tempWrite(dir, '10-broker.yaml', brokerYaml);
    tempWrite(dir, 'kafka/10-broker.yaml', brokerYaml);

    // Act
    const attempt = (): unknown => loadKnativeManifests(dir);

    // Assess
    assert.throws(
      attempt,
      (error: unknown) => error instanceof ManifestError && error.problems[0] === 'kafka/10-broker.yaml: Broker dr/drplan is also defined in 10-broker.yaml',
    );
  });

  it('lists the Knative objects it does not play and puts objects without a namespace in default', () => {
    // Prepare
    const dir = join(scratch.path, 'others');
    tempWrite(
      dir,
      'x.yaml',
      `
apiVersion: sources.knative.dev/v1
kind: SinkBinding
metadata: { name: bind, namespace: dr }
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: drplan }
`,
    );

    // Act
    const manifests = loadKnativeManifests(dir);

    // Assess
    assert.deepEqual(manifests.ignored, ['SinkBinding dr/bind (x.yaml)']);
    assert.equal(manifests.brokers[0]?.namespace, 'default');
  });
});

function tempWrite(dir: string, file: string, text: string): void {
  const path = join(dir, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
