/** What every verb needs: the resource registry, the store, the clock; and where a request points. */
import { notFound } from './errors.js';
import type { Registry } from './registry.js';
import type { Store } from './store.js';
import type { KubeObject, ResourceType, ResourceVersion } from './types.js';
import { groupVersion, typeKey } from './types.js';

export interface ServerContext {
  registry: Registry;
  store: Store;
  now: () => Date;
}

/** The resource a request addresses: its type and version, namespace ('' when cluster-scoped), name, subresource. */
export interface Target {
  type: ResourceType;
  version: ResourceVersion;
  namespace: string;
  name?: string;
  subresource?: 'status';
}

export const keyOfType = (type: ResourceType): string => typeKey(type.group, type.plural);

/** The object as served at the requested version (objects are stored once; versions differ only in apiVersion). */
export function present(target: Pick<Target, 'type' | 'version'>, object: KubeObject): KubeObject {
  const out: KubeObject = { ...object };
  out.apiVersion = groupVersion(target.type.group, target.version.name);
  out.kind = target.type.kind;
  return out;
}

/** The stored object a request names; 404 NotFound when there is none. */
export function existing(context: ServerContext, target: Target): KubeObject {
  const object = context.store.get(keyOfType(target.type), target.namespace, target.name ?? '');
  if (object === undefined) throw notFound(target.type, target.name ?? '');
  return object;
}
