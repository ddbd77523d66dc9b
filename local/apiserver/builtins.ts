/**
 * The built-in resource types the local server serves: the few core, batch, coordination, RBAC and
 * apiextensions resources the DR functions and `kubectl` need. They are stored as sent (no schema
 * validation beyond metadata), with the handful of defaults a real server would add.
 */
import type { KubeObject, ResourceType } from './types.js';
import { isRecord } from './types.js';

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

interface BuiltinInit {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  statusSubresource?: boolean;
  generation?: ResourceType['generation'];
  defaults?: (object: KubeObject) => KubeObject;
}

function builtin(init: BuiltinInit): ResourceType {
  return {
    group: init.group,
    plural: init.plural,
    singular: init.kind.toLowerCase(),
    kind: init.kind,
    listKind: `${init.kind}List`,
    namespaced: init.namespaced,
    shortNames: init.shortNames ?? [],
    categories: init.categories ?? [],
    verbs: ALL_VERBS,
    versions: [{ name: init.version }],
    statusSubresource: init.statusSubresource ?? false,
    generation: init.generation ?? 'none',
    custom: false,
    strategicMerge: true,
    ...(init.defaults === undefined ? {} : { defaults: init.defaults }),
  };
}

const record = (value: unknown): Record<string, unknown> => (isRecord(value) ? value : {});

function namespaceDefaults(object: KubeObject): KubeObject {
  const name = object.metadata.name ?? '';
  const spec = record(object.spec);
  return {
    ...object,
    metadata: { ...object.metadata, labels: { ...object.metadata.labels, 'kubernetes.io/metadata.name': name } },
    spec: { ...spec, finalizers: Array.isArray(spec.finalizers) ? spec.finalizers : ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

function jobDefaults(object: KubeObject): KubeObject {
  const spec = record(object.spec);
  const template = record(spec.template);
  const templateMeta = record(template.metadata);
  const labels = { ...record(templateMeta.labels), 'batch.kubernetes.io/job-name': object.metadata.name ?? '', 'job-name': object.metadata.name ?? '' };
  return {
    ...object,
    spec: {
      backoffLimit: 6,
      completions: 1,
      parallelism: 1,
      completionMode: 'NonIndexed',
      suspend: false,
      ...spec,
      template: { ...template, metadata: { ...templateMeta, labels } },
    },
  };
}

/** As kube-apiserver stores a Secret: `stringData` written into `data` (base64, over what `data` has) and not kept; type Opaque by default. */
function secretDefaults(object: KubeObject): KubeObject {
  const { stringData, ...rest } = object;
  const type = typeof object.type === 'string' ? object.type : 'Opaque';
  if (!isRecord(stringData)) return { ...rest, type };
  const data: Record<string, unknown> = isRecord(object.data) ? { ...object.data } : {};
  for (const [key, value] of Object.entries(stringData)) if (typeof value === 'string') data[key] = Buffer.from(value, 'utf8').toString('base64');
  return { ...rest, type, data };
}

export const BUILTIN_TYPES: readonly ResourceType[] = [
  builtin({
    group: '',
    version: 'v1',
    plural: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    statusSubresource: true,
    defaults: namespaceDefaults,
  }),
  builtin({ group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] }),
  builtin({
    group: '',
    version: 'v1',
    plural: 'secrets',
    kind: 'Secret',
    namespaced: true,
    defaults: secretDefaults,
  }),
  builtin({ group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true, shortNames: ['sa'] }),
  builtin({
    group: '',
    version: 'v1',
    plural: 'events',
    kind: 'Event',
    namespaced: true,
    shortNames: ['ev'],
  }),
  builtin({
    group: 'batch',
    version: 'v1',
    plural: 'jobs',
    kind: 'Job',
    namespaced: true,
    categories: ['all'],
    statusSubresource: true,
    generation: 'spec',
    defaults: jobDefaults,
  }),
  builtin({
    group: 'coordination.k8s.io',
    version: 'v1',
    plural: 'leases',
    kind: 'Lease',
    namespaced: true,
  }),
  builtin({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', kind: 'Role', namespaced: true }),
  builtin({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', kind: 'RoleBinding', namespaced: true }),
  builtin({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', kind: 'ClusterRole', namespaced: false }),
  builtin({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false }),
  builtin({
    group: 'apiextensions.k8s.io',
    version: 'v1',
    plural: 'customresourcedefinitions',
    kind: 'CustomResourceDefinition',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    statusSubresource: true,
    generation: 'spec',
  }),
];

/** Namespaces that always exist and cannot be deleted. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;
