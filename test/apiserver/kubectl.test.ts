/** The same semantics through the real kubectl and the kubeconfig the server writes (skipped without kubectl). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ORIGINAL_MANIFESTS } from '../support/fixtures.js';
import { needsTool } from '../support/tools.js';
import { runKubectl, type KubectlRun } from '../support/kubectl.js';
import { startTestServer, type TestServer } from './helpers.js';

const samples = `${ORIGINAL_MANIFESTS}/`;

const widgetCrd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: { plural: widgets, singular: widget, kind: Widget, shortNames: [wd] }
  versions:
    - name: v1
      served: true
      storage: true
      subresources: { status: {} }
      additionalPrinterColumns:
        - { name: Size, type: integer, jsonPath: .spec.size }
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: { type: object, properties: { size: { type: integer, default: 3 } } }
            status: { type: object, properties: { phase: { type: string } } }
`;

const widget = 'apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: sprocket }\nspec: { size: 7 }\n';

describe('kubectl', { skip: needsTool('kubectl') }, () => {
  let t: TestServer;
  let work: string;

  const kubectl = (...args: string[]): Promise<KubectlRun> => runKubectl(args, { kubeconfig: t.server.kubeconfigPath, cacheDir: join(work, 'cache') });

  before(async () => {
    t = await startTestServer();
    work = mkdtempSync(join(tmpdir(), 'drplan-kubectl-'));
    writeFileSync(join(work, 'crd.yaml'), widgetCrd);
    writeFileSync(join(work, 'widget.yaml'), widget);
  });
  after(async () => {
    await t.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  test('apply creates the sample manifests, and applying again changes nothing it owns', async () => {
    const first = await kubectl('apply', '-f', join(samples, 'samples'));
    const second = await kubectl('apply', '-f', join(samples, 'samples', 'drworkflow-http.yaml'));
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /drplan\.dr\.bkbcs\.tencent\.com\/simple-dr-plan created/);
    assert.match(first.stdout, /drworkflow\.dr\.bkbcs\.tencent\.com\/http-healthcheck created/);
    assert.match(second.stdout, /http-healthcheck unchanged/);
  });

  test('apply registers a CRD, then its objects, and get prints its printer columns', async () => {
    const crd = await kubectl('apply', '-f', join(work, 'crd.yaml'));
    const applied = await kubectl('apply', '-f', join(work, 'widget.yaml'));
    const listed = await kubectl('get', 'widgets');
    assert.equal(crd.code, 0, crd.stderr);
    assert.match(crd.stdout, /customresourcedefinition\.apiextensions\.k8s\.io\/widgets\.example\.com created/);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /widget\.example\.com\/sprocket created/);
    assert.match(listed.stdout, /^NAME\s+SIZE\s+AGE\n/);
    assert.match(listed.stdout, /\nsprocket\s+7\s+\d+s\n/);
  });

  test('get -o json returns the stored object with its defaults', async () => {
    await kubectl('apply', '-f', join(samples, 'samples', 'drplan-simple.yaml'));
    const run = await kubectl('get', 'drplans.dr.bkbcs.tencent.com', 'simple-dr-plan', '-o', 'json');
    const plan = JSON.parse(run.stdout) as { kind: string; metadata: { uid: string }; spec: { stages: Array<{ parallel?: boolean }> } };
    assert.equal(plan.kind, 'DRPlan');
    assert.equal(plan.spec.stages[0]?.parallel, false);
  });

  test('patch --type merge, label and annotate change the object', async () => {
    const patched = await kubectl('patch', 'widget', 'sprocket', '--type', 'merge', '-p', '{"spec":{"size":9}}');
    const labelled = await kubectl('label', 'widget', 'sprocket', 'tier=gold');
    const annotated = await kubectl('annotate', 'widget', 'sprocket', 'note=checked');
    const read = await kubectl('get', 'widgets', '-l', 'tier=gold', '-o', 'jsonpath={.items[0].spec.size} {.items[0].metadata.annotations.note}');
    assert.deepEqual([patched.code, labelled.code, annotated.code], [0, 0, 0]);
    assert.match(labelled.stdout, /widget\.example\.com\/sprocket labeled/);
    assert.equal(read.stdout, '9 checked');
  });

  test('wait --for=jsonpath returns once the status says so', async () => {
    const waiting = kubectl('wait', '--for=jsonpath={.status.phase}=Ready', 'widget/sprocket', '--timeout=10s');
    const patched = await kubectl('patch', 'widget', 'sprocket', '--subresource', 'status', '--type', 'merge', '-p', '{"status":{"phase":"Ready"}}');
    const waited = await waiting;
    assert.equal(patched.code, 0, patched.stderr);
    assert.equal(waited.code, 0, waited.stderr);
    assert.match(waited.stdout, /condition met/);
  });

  test('an invalid object is refused with the field named', async () => {
    writeFileSync(join(work, 'bad.yaml'), 'apiVersion: dr.bkbcs.tencent.com/v1alpha1\nkind: DRPlan\nmetadata: { name: bad }\nspec: { failurePolicy: Stop }\n');
    const run = await kubectl('apply', '-f', join(work, 'bad.yaml'));
    assert.notEqual(run.code, 0);
    // kubectl rewords a 422 from its details: `The <kind> "<name>" is invalid: <causes>`.
    assert.match(run.stderr, /The DRPlan "bad" is invalid: spec\.stages: Required value/);
  });

  test('describe prints the object', async () => {
    const run = await kubectl('describe', 'widget', 'sprocket');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Name:\s+sprocket$/m);
  });

  test('delete removes the object and get then reports NotFound', async () => {
    const deleted = await kubectl('delete', 'widget', 'sprocket');
    const read = await kubectl('get', 'widget', 'sprocket');
    assert.match(deleted.stdout, /widget\.example\.com "sprocket" deleted/);
    assert.notEqual(read.code, 0);
    assert.match(read.stderr, /Error from server \(NotFound\): widgets\.example\.com "sprocket" not found/);
  });

  test('kubectl create namespace, configmap and secret work (kubectl ≥ 1.32 sends them as protobuf)', async () => {
    const namespace = await kubectl('create', 'namespace', 'team-a');
    const configMap = await kubectl('create', 'configmap', 'settings', '--from-literal=region=eu', '-n', 'team-a');
    const secret = await kubectl('create', 'secret', 'generic', 'creds', '--from-literal=password=hunter2', '-n', 'team-a');
    const read = await kubectl('get', 'configmap', 'settings', '-n', 'team-a', '-o', 'jsonpath={.data.region}');
    assert.deepEqual([namespace.code, configMap.code, secret.code], [0, 0, 0], `${namespace.stderr}${configMap.stderr}${secret.stderr}`);
    assert.equal(read.stdout, 'eu');
  });

  test('server-side apply records kubectl as the manager', async () => {
    const run = await kubectl('apply', '--server-side', '-f', join(samples, 'samples', 'drplanexecution.yaml'));
    const fields = await kubectl(
      'get',
      'drplanexecutions.dr.bkbcs.tencent.com',
      '-o',
      'jsonpath={.items[0].metadata.managedFields[0].manager}',
      '--show-managed-fields',
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /serverside-applied|unchanged/);
    assert.equal(fields.stdout, 'kubectl');
  });

  test('auth can-i answers from RBAC, as the admin and as an impersonated ServiceAccount', async () => {
    await kubectl('create', 'namespace', 'rbac-check');
    await kubectl('create', 'serviceaccount', 'runner', '-n', 'rbac-check');
    await kubectl('create', 'role', 'jobs', '--verb=create,get', '--resource=jobs', '-n', 'rbac-check');
    await kubectl('create', 'rolebinding', 'runner-jobs', '--role=jobs', '--serviceaccount=rbac-check:runner', '-n', 'rbac-check');
    const as = '--as=system:serviceaccount:rbac-check:runner';

    const admin = await kubectl('auth', 'can-i', 'delete', 'secrets', '-n', 'kube-system');
    const mine = await kubectl('auth', 'can-i', 'create', 'jobs', '-n', 'rbac-check', as);
    const elsewhere = await kubectl('auth', 'can-i', 'create', 'jobs', '-n', 'kube-system', as);
    const refused = await kubectl('create', 'configmap', 'x', '-n', 'rbac-check', as);

    assert.deepEqual([admin.stdout.trim(), mine.stdout.trim(), elsewhere.stdout.trim()], ['yes', 'yes', 'no']);
    assert.equal(elsewhere.code, 1);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /configmaps is forbidden: User "system:serviceaccount:rbac-check:runner" cannot create resource "configmaps"/);
  });
});
