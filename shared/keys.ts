/**
 * How our objects are named and addressed — the one place their keys are built: `namespace/name` (map
 * and set keys, reply subjects, messages) and the ObjectKey of each of our kinds for the Kube client.
 */
import { API_VERSION, Kinds } from './api/constants.js';
import type { KubeObject, ObjectKey } from './kube/types.js';

/** A namespaced object by name: an execution, a plan, a workflow. */
export interface NamespacedName {
  name: string;
  namespace: string;
}

/** `namespace/name` */
export const namespacedName = ({ namespace, name }: NamespacedName): string => `${namespace}/${name}`;

/** The name and namespace of a stored object (`default` when it has none, as the API server would). */
export const nameOf = (object: KubeObject): NamespacedName => ({ name: object.metadata.name ?? '', namespace: object.metadata.namespace ?? 'default' });

export const executionKey = ({ name, namespace }: NamespacedName): ObjectKey => ({ apiVersion: API_VERSION, kind: Kinds.execution, name, namespace });
export const planKey = ({ name, namespace }: NamespacedName): ObjectKey => ({ apiVersion: API_VERSION, kind: Kinds.plan, name, namespace });
export const workflowKey = ({ name, namespace }: NamespacedName): ObjectKey => ({ apiVersion: API_VERSION, kind: Kinds.workflow, name, namespace });
