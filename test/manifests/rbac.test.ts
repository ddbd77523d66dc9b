import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readCrdFiles } from '../../local/apiserver/crd.js';
import type { KubeObject } from '../../shared/kube/types.js';
import type { Grant } from './rbac.js';
import { accountName, FunctionNames, FunctionPermissions, grantKey, grantsOf, groupOf, resourceOf } from './rbac.js';
import { arrayAt, at, findObject, KNATIVE_DIR, NAMESPACE, objectsOf, REPO_ROOT, stringAt } from './manifests.js';

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

/** Every single grant a ClusterRole's rules give, as text; wildcards and resourceNames are reported, not expanded. */
function grantsOfRole(role: KubeObject): string[] {
  return arrayAt(role, 'rules').flatMap((rule) => {
    const groups = strings(at(rule, 'apiGroups'));
    const resources = strings(at(rule, 'resources'));
    const verbs = strings(at(rule, 'verbs'));
    return groups.flatMap((apiGroup) => resources.flatMap((resource) => verbs.map((verb) => grantKey({ apiGroup, resource, verb } as Grant))));
  });
}

const sorted = (keys: Iterable<string>): string[] => [...new Set(keys)].sort();

/** The ServiceAccounts (`namespace/name`) a ClusterRoleBinding binds to `role`. */
function accountsBoundTo(role: string): string[] {
  return objectsOf('ClusterRoleBinding')
    .filter((binding) => stringAt(binding, 'roleRef', 'name') === role && stringAt(binding, 'roleRef', 'kind') === 'ClusterRole')
    .flatMap((binding) => arrayAt(binding, 'subjects'))
    .map((subject) => `${stringAt(subject, 'kind') ?? ''}:${stringAt(subject, 'namespace') ?? ''}/${stringAt(subject, 'name') ?? ''}`);
}

/** The ClusterRoles bound to a ServiceAccount of our namespace. */
function rolesOf(account: string): string[] {
  return objectsOf('ClusterRoleBinding')
    .filter((binding) => arrayAt(binding, 'subjects').some((subject) => stringAt(subject, 'name') === account && stringAt(subject, 'namespace') === NAMESPACE))
    .map((binding) => stringAt(binding, 'roleRef', 'name') ?? '');
}

describe('the ClusterRole of each function', () => {
  for (const fn of FunctionNames) {
    test(`${fn}'s grants exactly what test/manifests/rbac.ts declares`, () => {
      // Act
      const role = findObject('ClusterRole', accountName(fn));

      // Assess
      assert.ok(role, `no ClusterRole ${accountName(fn)} under knative/`);
      assert.deepEqual(sorted(grantsOfRole(role)), sorted(grantsOf(FunctionPermissions[fn]).map(grantKey)));
    });

    test(`${fn}'s is bound to its own ServiceAccount only, which has no other role`, () => {
      // Act
      const bound = accountsBoundTo(accountName(fn));
      const roles = rolesOf(accountName(fn));

      // Assess
      assert.ok(findObject('ServiceAccount', accountName(fn)), `no ServiceAccount ${accountName(fn)}`);
      assert.deepEqual(bound, [`ServiceAccount:${NAMESPACE}/${accountName(fn)}`]);
      assert.deepEqual(roles, [accountName(fn)]);
    });
  }

  test('no role under knative/ uses wildcards or resourceNames', () => {
    // Act
    const loose = objectsOf('ClusterRole').flatMap((role) =>
      arrayAt(role, 'rules')
        .filter(
          (rule) =>
            [...strings(at(rule, 'apiGroups')), ...strings(at(rule, 'resources')), ...strings(at(rule, 'verbs'))].includes('*') ||
            at(rule, 'resourceNames') !== undefined,
        )
        .map(() => role.metadata.name),
    );

    // Assess
    assert.deepEqual(loose, []);
  });
});

describe('the role of each ApiServerSource', () => {
  for (const source of objectsOf('ApiServerSource')) {
    test(`${source.metadata.name ?? ''} may get, list and watch exactly the resources it watches`, () => {
      // Prepare
      const account = stringAt(source, 'spec', 'serviceAccountName') ?? '';
      const watched = arrayAt(source, 'spec', 'resources').flatMap((resource) =>
        ['get', 'list', 'watch'].map((verb) =>
          grantKey({ apiGroup: groupOf(stringAt(resource, 'apiVersion') ?? ''), resource: resourceOf(stringAt(resource, 'kind') ?? ''), verb } as Grant),
        ),
      );

      // Act
      const granted = rolesOf(account).flatMap((name) => {
        const role = findObject('ClusterRole', name);
        return role === undefined ? [`missing ClusterRole ${name}`] : grantsOfRole(role);
      });

      // Assess
      assert.ok(findObject('ServiceAccount', account), `no ServiceAccount ${account}`);
      assert.ok(account !== 'default' && account !== '', 'the source runs as its own ServiceAccount');
      assert.deepEqual(sorted(granted), sorted(watched));
    });
  }
});

describe('resource names in the declarations', () => {
  test('are the plurals the CRDs of the DR kinds and of Clusternet define', () => {
    // Prepare
    const crds = readCrdFiles([`${KNATIVE_DIR}/crds`, `${REPO_ROOT}/local/apiserver/crds`]);

    // Act
    const mismatches = crds
      .map((crd) => ({ kind: stringAt(crd, 'spec', 'names', 'kind') ?? '', plural: stringAt(crd, 'spec', 'names', 'plural') ?? '' }))
      .filter(({ kind, plural }) => resourceOf(kind) !== plural);

    // Assess
    assert.ok(crds.length >= 5, 'the DR and Clusternet CRDs were read');
    assert.deepEqual(mismatches, []);
  });

  test('map core kinds the way Kubernetes guesses them', () => {
    // Act
    const guesses = ['Job', 'Event', 'ConfigMap', 'Ingress', 'NetworkPolicy'].map(resourceOf);

    // Assess
    assert.deepEqual(guesses, ['jobs', 'events', 'configmaps', 'ingresses', 'networkpolicies']);
  });
});
