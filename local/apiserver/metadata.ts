/**
 * Object metadata as a real server treats it: typed and pruned to ObjectMeta's fields, names checked
 * (RFC 1123 subdomain, or label for namespaces), label keys and values checked, generated names, uids
 * and timestamps.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { StatusCause } from './errors.js';
import { omit } from './json.js';
import type { KubeObject, ObjectMeta } from './types.js';
import { isRecord } from './types.js';

const OwnerReferenceSchema = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});

const ManagedFieldsSchema = z.object({
  manager: z.string(),
  operation: z.enum(['Apply', 'Update']),
  apiVersion: z.string(),
  time: z.string(),
  fieldsType: z.literal('FieldsV1'),
  fieldsV1: z.record(z.string(), z.unknown()),
  subresource: z.string().optional(),
});

const ObjectMetaSchema = z.object({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().int().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  deletionGracePeriodSeconds: z.number().int().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
  ownerReferences: z.array(OwnerReferenceSchema).optional(),
  managedFields: z.array(ManagedFieldsSchema).optional(),
});

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const invalidCause = (field: string, value: string, why: string): StatusCause => ({
  reason: 'FieldValueInvalid',
  message: `Invalid value: ${JSON.stringify(value)}: ${why}`,
  field,
});

const withoutNulls = (value: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null));

/** The object's metadata, typed; unknown metadata fields are dropped, wrong types are causes. */
export function parseMetadata(value: unknown): { metadata: ObjectMeta; causes: StatusCause[] } {
  const input = isRecord(value) ? withoutNulls(value) : {};
  const parsed = ObjectMetaSchema.safeParse(input);
  if (parsed.success) return { metadata: parsed.data, causes: [] };
  const causes = parsed.error.issues.map((issue) => ({
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${issue.message}`,
    field: ['metadata', ...issue.path.map(String)].join('.'),
  }));
  return { metadata: {}, causes };
}

export function nameCauses(name: string, namespaceLike: boolean): StatusCause[] {
  if (namespaceLike) {
    if (name.length <= 63 && LABEL.test(name)) return [];
    return [
      invalidCause(
        'metadata.name',
        name,
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      ),
    ];
  }
  if (name.length <= 253 && SUBDOMAIN.test(name)) return [];
  return [
    invalidCause(
      'metadata.name',
      name,
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ),
  ];
}

export function labelCauses(labels: Record<string, string> | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (!LABEL_KEY.test(key) || key.length > 316)
      causes.push(
        invalidCause(
          'metadata.labels',
          key,
          'a valid label key must be a qualified name: an optional DNS subdomain prefix and "/", then alphanumerics, "-", "_" or ".", starting and ending with an alphanumeric character',
        ),
      );
    if (!LABEL_VALUE.test(value) || value.length > 63)
      causes.push(
        invalidCause(
          'metadata.labels',
          value,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, and be at most 63 characters",
        ),
      );
  }
  return causes;
}

const GENERATED = 'bcdfghjklmnpqrstvwxz2456789';

export function generateName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i += 1) suffix += GENERATED[Math.floor(Math.random() * GENERATED.length)] ?? 'x';
  return `${prefix}${suffix}`;
}

export const newUid = (): string => randomUUID();

/** RFC 3339 with second precision, as Kubernetes writes timestamps. */
export const timestamp = (date: Date): string => `${date.toISOString().slice(0, 19)}Z`;

const SERVER_FIELDS = ['name', 'namespace', 'uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'resourceVersion'];

/** Metadata the server owns: kept from the stored object whatever the client sent. */
export function keepServerFields(next: ObjectMeta, stored: ObjectMeta): ObjectMeta {
  const out: ObjectMeta = omit({ ...next }, ...SERVER_FIELDS);
  const kept = {
    name: stored.name,
    namespace: stored.namespace,
    uid: stored.uid,
    creationTimestamp: stored.creationTimestamp,
    deletionTimestamp: stored.deletionTimestamp,
    deletionGracePeriodSeconds: stored.deletionGracePeriodSeconds,
    generation: stored.generation,
    resourceVersion: stored.resourceVersion,
  };
  const managedFields = next.managedFields ?? stored.managedFields;
  return { ...dropUndefined(kept), ...out, ...(managedFields === undefined ? {} : { managedFields }) };
}

export function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

const METADATA_ORDER = [
  'name',
  'generateName',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
] as const;

/** Metadata in the order Kubernetes writes it; `resourceVersion` keeps its place even before the store sets it. */
function orderedMetadata(metadata: ObjectMeta): ObjectMeta {
  const out: Record<string, unknown> = {};
  for (const key of METADATA_ORDER) {
    const value = metadata[key];
    const empty = Array.isArray(value) && value.length === 0;
    if ((value !== undefined && !empty) || key === 'resourceVersion') out[key] = value;
  }
  return out;
}

/** Orders an object's fields as Kubernetes prints them: apiVersion, kind, metadata (ordered), then the rest. */
export function canonical(object: KubeObject): KubeObject {
  const { apiVersion, kind, metadata, ...rest } = object;
  return { apiVersion, kind, metadata: orderedMetadata(metadata), ...rest };
}
