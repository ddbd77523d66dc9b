/** The shapes the local API server stores and serves: plain JSON objects with Kubernetes metadata. */
import { isRecord } from '../../shared/type-utils.js';

export { isRecord };

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: ManagedFieldsEntry[];
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/** A stored object. Everything but `metadata` is free-form JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

/** One served version of a resource. */
export interface ResourceVersion {
  name: string;
  /** The CRD's openAPIV3Schema (custom resources only). */
  schema?: unknown;
  printerColumns?: PrinterColumn[];
}

/** Everything the server needs to know about one kind of resource (a built-in or a CRD). */
export interface ResourceType {
  group: string;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** Served versions; the first is the preferred one. Objects are stored once, whatever the version. */
  versions: ResourceVersion[];
  statusSubresource: boolean;
  /** Whether `metadata.generation` is kept, and which part of the object counts as its spec. */
  generation: 'none' | 'spec' | 'all-but-metadata-and-status';
  custom: boolean;
  /** Strategic merge patch is accepted (built-in types only, like a real server). */
  strategicMerge: boolean;
  /** Defaults for a new object of this type, applied before it is stored (built-ins only). */
  defaults?: (object: KubeObject) => KubeObject;
}

export const typeKey = (group: string, plural: string): string => (group === '' ? plural : `${plural}.${group}`);

export const groupVersion = (group: string, version: string): string => (group === '' ? version : `${group}/${version}`);
