/**
 * Objects as run-action sends them: the documents of a rendered manifest, our ownership labels added,
 * a reference to record, and the prior state of an object as JSON for its rollback.
 */
import type { ObjectReference } from '../../shared/api/index.js';
import type { KubeObject, ObjectKey } from '../../shared/kube/types.js';
import { isRecord } from '../../shared/type-utils.js';
import { parseYamlStream } from '../../shared/yaml.js';

export type Manifest = KubeObject;

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value !== '';

/**
 * Well-known cluster-scoped kinds: a manifest of one of these without a namespace stays without one;
 * any other kind without a namespace goes to the workflow's namespace (the API has no discovery here).
 */
const CLUSTER_SCOPED: ReadonlySet<string> = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'StorageClass',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PriorityClass',
  'IngressClass',
  'RuntimeClass',
  'CSIDriver',
  'CSINode',
  'VolumeAttachment',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ManagedCluster',
  'ClusterRegistrationRequest',
]);

export type ParsedManifest = { ok: true; objects: Manifest[] } | { ok: false; problem: string };

function checkDocument(value: unknown, where: string): string | undefined {
  if (!isRecord(value)) return `${where}: is not a mapping`;
  if (!nonEmpty(value.apiVersion)) return `${where}.apiVersion: is required`;
  if (!nonEmpty(value.kind)) return `${where}.kind: is required`;
  if (!isRecord(value.metadata) || !nonEmpty(value.metadata.name)) return `${where}.metadata.name: is required`;
  return undefined;
}

/** The objects of a (possibly multi-document) YAML manifest; empty documents are skipped. `field` names the manifest in problems. */
export function parseManifest(text: string, field: string): ParsedManifest {
  const objects: Manifest[] = [];
  for (const [index, document] of parseYamlStream(text).entries()) {
    const where = `${field} (document ${index + 1})`;
    const error = document.errors[0];
    if (error !== undefined) return { ok: false, problem: `${where}: is not valid YAML: ${error.message}` };
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    const problem = checkDocument(value, where);
    if (problem !== undefined) return { ok: false, problem };
    objects.push(value as Manifest);
  }
  if (objects.length === 0) return { ok: false, problem: `${field}: holds no object` };
  return { ok: true, objects };
}

/** The object with `namespace` filled in when it has none and its kind is namespaced. */
export function withNamespace(object: Manifest, namespace: string): Manifest {
  if (nonEmpty(object.metadata.namespace) || CLUSTER_SCOPED.has(object.kind)) return object;
  return { ...object, metadata: { ...object.metadata, namespace } };
}

/**
 * The object with our labels and annotations added. Ours win, except `managed-by` when the manifest
 * sets it: ownership is decided by the execution and action labels, not by that one.
 */
export function withOwnership(object: Manifest, labels: Record<string, string>, annotations: Record<string, string>): Manifest {
  const metadata = object.metadata;
  const managedBy = 'app.kubernetes.io/managed-by';
  const own = { ...labels };
  if (metadata.labels?.[managedBy] !== undefined) Reflect.deleteProperty(own, managedBy);
  return {
    ...object,
    metadata: { ...metadata, labels: { ...metadata.labels, ...own }, annotations: { ...metadata.annotations, ...annotations } },
  };
}

export const keyOf = (object: Manifest): ObjectKey => ({
  apiVersion: object.apiVersion,
  kind: object.kind,
  name: object.metadata.name ?? '',
  namespace: object.metadata.namespace,
});

/** A Patch's merge patch: the manifest without its identity (apiVersion, kind, name, namespace). */
export function patchBody(object: Manifest): Record<string, unknown> {
  const { apiVersion: _apiVersion, kind: _kind, metadata, ...body } = object;
  const { name: _name, namespace: _namespace, ...meta } = metadata;
  return Object.keys(meta).length === 0 ? body : { ...body, metadata: meta };
}

export function describeKey(key: ObjectKey): string {
  return `${key.kind} ${key.namespace === undefined ? '' : `${key.namespace}/`}${key.name}`;
}

/** A reference to the object (with its uid when the API returned one). */
export function referenceTo(key: ObjectKey, stored?: KubeObject): ObjectReference {
  const ref: ObjectReference = { apiVersion: key.apiVersion, kind: key.kind, name: key.name };
  if (key.namespace !== undefined) ref.namespace = key.namespace;
  const uid = stored?.metadata.uid;
  if (uid !== undefined) ref.uid = uid;
  return ref;
}

/** The object as JSON for `outputs.priorState`, without what the API server owns and would bloat the status. */
export function priorStateOf(object: KubeObject): string {
  const { status: _status, ...rest } = object;
  const { managedFields: _managed, ...metadata } = object.metadata;
  return JSON.stringify({ ...rest, metadata });
}
