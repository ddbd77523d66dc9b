/**
 * Deletion: preconditions, finalizers (deletionTimestamp until the last one is removed), owner-reference
 * garbage collection (background cascade, or orphaning), namespace termination, and what a CRD's
 * creation or deletion does to the resources served. The cascade runs synchronously, in the same
 * request: a real server's garbage collector does the same work a moment later.
 */
import { isCrdType } from './admission.js';
import { existing, keyOfType, type ServerContext, type Target } from './context.js';
import { crdToResourceType, CRD_GROUP, CRD_PLURAL } from './crd.js';
import { SYSTEM_NAMESPACES } from './builtins.js';
import { ApiError, Reasons, forbidden } from './errors.js';
import { timestamp } from './metadata.js';
import type { KubeObject, ObjectMeta, ResourceType } from './types.js';
import { isRecord, typeKey } from './types.js';

export type Propagation = 'Background' | 'Foreground' | 'Orphan';

export interface DeleteOptions {
  propagation: Propagation;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun: boolean;
}

const NAMESPACES_KEY = 'namespaces';
const CRD_KEY = typeKey(CRD_GROUP, CRD_PLURAL);

/** Registers (or re-registers) the resource a stored CRD defines. */
export function afterWrite(context: ServerContext, type: ResourceType, object: KubeObject): void {
  if (isCrdType(type)) context.registry.register(crdToResourceType(object));
}

function afterRemove(context: ServerContext, key: string, object: KubeObject): void {
  if (key !== CRD_KEY) return;
  const type = crdToResourceType(object);
  context.registry.unregister(type.group, type.plural);
  // The CRD's objects go with it (a real server waits for their finalizers; here they are removed at once).
  for (const instance of context.store.list(typeKey(type.group, type.plural))) context.store.remove(typeKey(type.group, type.plural), instance);
}

/** Removes an object for good and lets everything that depended on it follow. */
export function finishDeletion(context: ServerContext, key: string, object: KubeObject): void {
  const final = context.store.remove(key, object);
  if (final === undefined) return;
  afterRemove(context, key, final);
  if (final.metadata.uid !== undefined) collectDependents(context, final.metadata.uid);
  const namespace = final.metadata.namespace;
  if (namespace !== undefined && namespace !== '') finishNamespaceIfEmpty(context, namespace);
}

/** Background cascade: dependents with no remaining owner are deleted; others just lose the reference. */
function collectDependents(context: ServerContext, ownerUid: string): void {
  for (const { typeKey: key, object } of context.store.dependents(ownerUid)) {
    const remaining = (object.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== ownerUid);
    if (remaining.some((ref) => context.store.findUid(ref.uid) !== undefined)) {
      context.store.put(key, { ...object, metadata: { ...object.metadata, ownerReferences: remaining } });
    } else {
      deleteStored(context, key, object, 'Background');
    }
  }
}

function orphanDependents(context: ServerContext, ownerUid: string): void {
  for (const { typeKey: key, object } of context.store.dependents(ownerUid)) {
    const remaining = (object.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== ownerUid);
    const metadata: ObjectMeta = { ...object.metadata, ownerReferences: remaining };
    if (remaining.length === 0) delete metadata.ownerReferences;
    context.store.put(key, { ...object, metadata });
  }
}

/** Deletes a stored object: marks it when finalizers remain, removes it otherwise. Returns its latest state. */
function deleteStored(context: ServerContext, key: string, object: KubeObject, propagation: Propagation): KubeObject {
  if (object.metadata.deletionTimestamp !== undefined) return object;
  const uid = object.metadata.uid;
  if (propagation === 'Orphan' && uid !== undefined) orphanDependents(context, uid);
  if (propagation === 'Foreground' && uid !== undefined) collectDependents(context, uid);
  if ((object.metadata.finalizers ?? []).length === 0) {
    finishDeletion(context, key, object);
    return object;
  }
  const marked: KubeObject = { ...object, metadata: { ...object.metadata, deletionTimestamp: timestamp(context.now()), deletionGracePeriodSeconds: 0 } };
  return context.store.put(key, marked);
}

function finishNamespaceIfEmpty(context: ServerContext, name: string): void {
  const namespace = context.store.get(NAMESPACES_KEY, '', name);
  if (namespace?.metadata.deletionTimestamp === undefined) return;
  if ((namespace.metadata.finalizers ?? []).length > 0 || context.store.countInNamespace(name) > 0) return;
  finishDeletion(context, NAMESPACES_KEY, namespace);
}

/** Namespace deletion: Terminating, then everything in it is deleted; it goes when it is empty. */
function deleteNamespace(context: ServerContext, namespace: KubeObject): KubeObject {
  const name = namespace.metadata.name ?? '';
  if ((SYSTEM_NAMESPACES as readonly string[]).includes(name)) throw forbidden({ group: '', plural: 'namespaces' }, name, 'this namespace may not be deleted');
  if (namespace.metadata.deletionTimestamp !== undefined) return namespace;
  const status = isRecord(namespace.status) ? namespace.status : {};
  const marked = context.store.put(NAMESPACES_KEY, {
    ...namespace,
    metadata: { ...namespace.metadata, deletionTimestamp: timestamp(context.now()), deletionGracePeriodSeconds: 0 },
    status: { ...status, phase: 'Terminating' },
  });
  for (const { typeKey: key, object } of context.store.inNamespace(name)) deleteStored(context, key, object, 'Background');
  finishNamespaceIfEmpty(context, name);
  return marked;
}

function checkPreconditions(target: Target, object: KubeObject, options: DeleteOptions): void {
  const { uid, resourceVersion } = options.preconditions ?? {};
  const name = object.metadata.name ?? '';
  const failed = (what: string, wanted: string, actual: string | undefined): ApiError =>
    new ApiError({
      code: 409,
      reason: Reasons.conflict,
      message: `Operation cannot be fulfilled on ${target.type.group === '' ? target.type.plural : `${target.type.plural}.${target.type.group}`} "${name}": Precondition failed: ${what} in precondition: ${wanted}, ${what} in object meta: ${actual ?? ''}`,
      details: { name, group: target.type.group, kind: target.type.plural },
    });
  if (uid !== undefined && uid !== object.metadata.uid) throw failed('UID', uid, object.metadata.uid);
  if (resourceVersion !== undefined && resourceVersion !== object.metadata.resourceVersion) {
    throw failed('ResourceVersion', resourceVersion, object.metadata.resourceVersion);
  }
}

/** DELETE on one object: returns the object as it is after the call (marked, or as it was when removed). */
export function deleteObject(context: ServerContext, target: Target, options: DeleteOptions): KubeObject {
  const object = existing(context, target);
  checkPreconditions(target, object, options);
  if (options.dryRun) return object;
  const key = keyOfType(target.type);
  if (key === NAMESPACES_KEY) return deleteNamespace(context, object);
  return deleteStored(context, key, object, options.propagation);
}
