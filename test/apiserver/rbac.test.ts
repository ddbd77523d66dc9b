/**
 * The local API server authorizes every request with RBAC, as kube-apiserver does: ServiceAccount tokens,
 * Roles and ClusterRoles (aggregation included) bound by RoleBindings and ClusterRoleBindings,
 * impersonation with the `impersonate` verb, and SelfSubjectAccessReview. The admin's token is
 * `system:masters` and may do everything.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { serviceAccountToken } from '../../local/apiserver/authn.js';
import { raw, startTestServer, type RawRequest, type TestServer } from './helpers.js';

let t: TestServer;

const json = (body: unknown): Pick<RawRequest, 'body' | 'contentType'> => ({ body: JSON.stringify(body), contentType: 'application/json' });

async function create(path: string, object: Record<string, unknown>, request: RawRequest = {}): Promise<number> {
  const response = await raw(t.server, path, { method: 'POST', ...json(object), ...request });
  return response.status;
}

const asAccount = (namespace: string, name: string): RawRequest => ({ token: serviceAccountToken(t.server.token, namespace, name) });

const configMap = (name: string): Record<string, unknown> => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' } });

before(async () => {
  t = await startTestServer();
  for (const namespace of ['team-a', 'team-b']) {
    assert.equal(await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }), 201);
    assert.equal(
      await create(`/api/v1/namespaces/${namespace}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'runner' } }),
      201,
    );
  }
  // team-a's runner may edit ConfigMaps in team-a (a Role), and read Secrets everywhere through an aggregated ClusterRole.
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  await create(`${rbac}/namespaces/team-a/roles`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'cm-editor' },
    rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'create', 'patch'] }],
  });
  await create(`${rbac}/namespaces/team-a/rolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'runner-cm' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-editor' },
    subjects: [{ kind: 'ServiceAccount', name: 'runner' }],
  });
  await create(`${rbac}/clusterroles`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'aggregate-readers' },
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'example.com/aggregate-to-readers': 'true' } }] },
  });
  await create(`${rbac}/clusterroles`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'secret-reader', labels: { 'example.com/aggregate-to-readers': 'true' } },
    rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['shared'] }],
  });
  await create(`${rbac}/clusterrolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'runner-readers' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'aggregate-readers' },
    subjects: [{ kind: 'ServiceAccount', name: 'runner', namespace: 'team-a' }],
  });
  // an "operator" account that may impersonate ServiceAccounts in team-a only
  await create('/api/v1/namespaces/default/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'operator' } });
  await create(`${rbac}/clusterroles`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'impersonator' },
    rules: [{ apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] }],
  });
  await create(`${rbac}/namespaces/team-a/rolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'operator-impersonates' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'impersonator' },
    subjects: [{ kind: 'ServiceAccount', name: 'operator', namespace: 'default' }],
  });
  for (const namespace of ['team-a', 'team-b']) {
    await create(`/api/v1/namespaces/${namespace}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'shared' }, stringData: { k: 'v' } });
    await create(`/api/v1/namespaces/${namespace}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'private' }, stringData: { k: 'v' } });
  }
});

after(async () => {
  await t.dispose();
});

describe('RBAC in the local API server', () => {
  test('a ServiceAccount may do what a Role bound to it in that namespace allows, and nothing else', async () => {
    // Act
    const allowed = await create('/api/v1/namespaces/team-a/configmaps', configMap('mine'), asAccount('team-a', 'runner'));
    const elsewhere = await raw(t.server, '/api/v1/namespaces/team-b/configmaps', {
      method: 'POST',
      ...json(configMap('theirs')),
      ...asAccount('team-a', 'runner'),
    });
    const otherVerb = await raw(t.server, '/api/v1/namespaces/team-a/configmaps/mine', { method: 'DELETE', ...asAccount('team-a', 'runner') });

    // Assess
    assert.equal(allowed, 201);
    assert.equal(elsewhere.status, 403);
    assert.equal(
      elsewhere.json?.message,
      'configmaps is forbidden: User "system:serviceaccount:team-a:runner" cannot create resource "configmaps" in API group "" in the namespace "team-b"',
    );
    assert.equal(elsewhere.json.reason, 'Forbidden');
    assert.equal(otherVerb.status, 403);
    assert.match(String(otherVerb.json?.message), /^configmaps "mine" is forbidden: .* cannot delete resource "configmaps"/);
    assert.equal((await raw(t.server, '/api/v1/namespaces/team-b/configmaps/theirs')).status, 404, 'nothing was created in team-b');
  });

  test('an aggregated ClusterRole holds the rules of the roles it selects; resourceNames narrow a rule to those names', async () => {
    // Act
    const shared = await raw(t.server, '/api/v1/namespaces/team-b/secrets/shared', asAccount('team-a', 'runner'));
    const other = await raw(t.server, '/api/v1/namespaces/team-b/secrets/private', asAccount('team-a', 'runner'));
    const list = await raw(t.server, '/api/v1/namespaces/team-b/secrets', asAccount('team-a', 'runner'));

    // Assess
    assert.equal(shared.status, 200);
    assert.equal(other.status, 403);
    assert.equal(list.status, 403, 'a rule with resourceNames does not allow listing');
  });

  test('a change to a binding takes effect on the next request', async () => {
    // Prepare
    const path = '/api/v1/namespaces/team-b/configmaps';
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'runner-from-a' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view-cm' },
      subjects: [{ kind: 'ServiceAccount', name: 'runner', namespace: 'team-a' }],
    };
    await create('/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'view-cm' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }],
    });
    assert.equal((await raw(t.server, path, asAccount('team-a', 'runner'))).status, 403);

    // Act
    await create('/apis/rbac.authorization.k8s.io/v1/namespaces/team-b/rolebindings', binding);
    const granted = await raw(t.server, path, asAccount('team-a', 'runner'));
    await raw(t.server, '/apis/rbac.authorization.k8s.io/v1/namespaces/team-b/rolebindings/runner-from-a', { method: 'DELETE' });
    const revoked = await raw(t.server, path, asAccount('team-a', 'runner'));

    // Assess
    assert.equal(granted.status, 200);
    assert.equal(revoked.status, 403);
  });

  test('a token is refused when it is forged, or when its ServiceAccount no longer exists', async () => {
    // Prepare
    const forged = `${serviceAccountToken(t.server.token, 'team-a', 'runner').slice(0, -4)}AAAA`;
    await create('/api/v1/namespaces/team-a/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'short-lived' } });
    const token = serviceAccountToken(t.server.token, 'team-a', 'short-lived');
    assert.equal((await raw(t.server, '/api', { token })).status, 200, 'discovery is open to every authenticated user');

    // Act
    await raw(t.server, '/api/v1/namespaces/team-a/serviceaccounts/short-lived', { method: 'DELETE' });
    const gone = await raw(t.server, '/api', { token });
    const bad = await raw(t.server, '/api', { token: forged });
    const signedByAnother = await raw(t.server, '/api', { token: serviceAccountToken('another-admin-token', 'team-a', 'runner') });

    // Assess
    assert.deepEqual([gone.status, bad.status, signedByAnother.status], [401, 401, 401]);
  });

  test('impersonation needs the impersonate verb on that ServiceAccount; the request is then decided as the account', async () => {
    // Prepare
    const operator = asAccount('default', 'operator');
    const as = (user: string): RawRequest => ({ ...operator, headers: { 'Impersonate-User': user } });

    // Act
    const asRunner = await raw(t.server, '/api/v1/namespaces/team-a/configmaps', {
      method: 'POST',
      ...json(configMap('via-operator')),
      ...as('system:serviceaccount:team-a:runner'),
    });
    const runnerBeyondItsRights = await raw(t.server, '/api/v1/namespaces/team-b/configmaps', {
      method: 'POST',
      ...json(configMap('via-operator')),
      ...as('system:serviceaccount:team-a:runner'),
    });
    const asTeamB = await raw(t.server, '/api/v1/namespaces/team-b/configmaps', { ...as('system:serviceaccount:team-b:runner') });
    const asAdmin = await raw(t.server, '/api/v1/namespaces/team-b/secrets', { ...as('drplan-admin') });
    const asMasters = await raw(t.server, '/api/v1/namespaces/team-b/secrets', {
      ...operator,
      headers: { 'Impersonate-User': 'system:serviceaccount:team-a:runner', 'Impersonate-Group': 'system:masters' },
    });
    const operatorItself = await raw(t.server, '/api/v1/namespaces/team-a/configmaps', operator);

    // Assess
    assert.equal(asRunner.status, 201);
    assert.equal(runnerBeyondItsRights.status, 403);
    assert.match(String(runnerBeyondItsRights.json?.message), /User "system:serviceaccount:team-a:runner" cannot create/);
    assert.equal(asTeamB.status, 403);
    assert.match(String(asTeamB.json?.message), /cannot impersonate resource "serviceaccounts" in API group "" in the namespace "team-b"/);
    assert.equal(asAdmin.status, 403, 'impersonating a user needs impersonate on users');
    assert.equal(asMasters.status, 403, 'impersonating a group needs impersonate on groups');
    assert.equal(operatorItself.status, 403, 'impersonating does not make the operator itself more powerful');
  });

  test('kubectl auth can-i (SelfSubjectAccessReview) answers from the same rules, for the impersonated user too', async () => {
    // Prepare
    const review = (namespace: string, verb: string): RawRequest => ({
      method: 'POST',
      ...json({
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { namespace, verb, resource: 'configmaps' } },
      }),
    });
    const path = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

    // Act
    const mine = await raw(t.server, path, { ...review('team-a', 'create'), ...asAccount('team-a', 'runner') });
    const theirs = await raw(t.server, path, { ...review('team-b', 'create'), ...asAccount('team-a', 'runner') });
    const admin = await raw(t.server, path, review('team-b', 'delete'));

    // Assess
    assert.equal(mine.status, 201);
    assert.deepEqual(mine.json?.status, { allowed: true });
    assert.equal((theirs.json?.status as { allowed?: boolean }).allowed, false);
    assert.deepEqual(admin.json?.status, { allowed: true });
  });
});
