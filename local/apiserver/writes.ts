/**
 * create, update (PUT) and patch, with the semantics clients rely on: generateName, AlreadyExists,
 * optimistic concurrency on resourceVersion, generation bumped on spec changes only, status
 * subresource isolation, no-op writes that change nothing (no new resourceVersion, no event), and
 * objects that disappear once deleting and out of finalizers.
 */
import { admit, isCrdType, type FieldValidation } from './admission.js';
import { serverSideApply } from './apply.js';
import { existing, keyOfType, present, type ServerContext, type Target } from './context.js';
import { crdUpdateCauses, withCrdStatus } from './crd.js';
import { afterWrite, finishDeletion } from './deletion.js';
import { ApiError, Reasons, alreadyExists, badRequest, conflict, forbidden, invalid, notFound } from './errors.js';
import { deepEqual, omit } from './json.js';
import { canonical, generateName, keepServerFields, nameCauses, newUid, parseMetadata, timestamp } from './metadata.js';
import { applyPatchBody, patchedObject, type PatchType } from './patch-types.js';
import type { KubeObject, ObjectMeta, ResourceType } from './types.js';
import { groupVersion, isRecord } from './types.js';

export interface WriteOptions {
  dryRun: boolean;
  fieldValidation: FieldValidation;
  fieldManager?: string;
  force?: boolean;
}

export interface WriteResult {
  object: KubeObject;
  created: boolean;
  warnings: string[];
}

const NAMESPACES = { group: '', plural: 'namespaces' };

/** The request body as an object of the addressed type: kind/apiVersion/namespace checked, metadata typed. */
function checkTypeMeta(target: Target, body: Record<string, unknown>): string {
  const expected = groupVersion(target.type.group, target.version.name);
  const served = target.type.versions.map((v) => groupVersion(target.type.group, v.name));
  if (body.apiVersion !== undefined && (typeof body.apiVersion !== 'string' || !served.includes(body.apiVersion))) {
    throw badRequest(`the API version in the data (${JSON.stringify(body.apiVersion)}) does not match the expected API version (${expected})`);
  }
  if (body.kind !== undefined && body.kind !== target.type.kind) {
    throw badRequest(`the kind in the data (${JSON.stringify(body.kind)}) does not match the expected kind (${target.type.kind})`);
  }
  return expected;
}

export function requestObject(target: Target, body: unknown): KubeObject {
  if (!isRecord(body)) throw badRequest('the request body must be a JSON object');
  const expected = checkTypeMeta(target, body);
  const { metadata, causes } = parseMetadata(body.metadata);
  if (causes.length > 0) throw invalid(target.type, target.name ?? '', causes);
  const namespace = metadata.namespace ?? '';
  if (target.type.namespaced && namespace !== '' && namespace !== target.namespace) {
    throw badRequest(`the namespace of the provided object (${namespace}) does not match the namespace sent on the request (${target.namespace})`);
  }
  const meta: ObjectMeta = target.type.namespaced ? { ...metadata, namespace: target.namespace } : { ...metadata };
  if (!target.type.namespaced) delete meta.namespace;
  return { ...body, apiVersion: expected, kind: target.type.kind, metadata: meta };
}

function requireNamespace(context: ServerContext, target: Target): void {
  if (!target.type.namespaced) return;
  const namespace = context.store.get('namespaces', '', target.namespace);
  if (namespace === undefined) throw notFound(NAMESPACES, target.namespace);
  if (namespace.metadata.deletionTimestamp !== undefined) {
    throw forbidden(target.type, target.name ?? '', `unable to create new content in namespace ${target.namespace} because it is being terminated`);
  }
}

function chooseName(context: ServerContext, target: Target, metadata: ObjectMeta): string {
  const namespaceLike = !target.type.custom && target.type.plural === 'namespaces';
  if (metadata.name !== undefined && metadata.name !== '') {
    const causes = nameCauses(metadata.name, namespaceLike);
    if (causes.length > 0) throw invalid(target.type, metadata.name, causes);
    return metadata.name;
  }
  if (metadata.generateName === undefined || metadata.generateName === '') {
    throw invalid(target.type, '', [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }]);
  }
  for (let attempt = 0; attempt < 8; attempt += 1) {
    const name = generateName(metadata.generateName);
    if (context.store.get(keyOfType(target.type), target.namespace, name) === undefined) return name;
  }
  throw new ApiError({ code: 409, reason: Reasons.alreadyExists, message: `could not generate a unique name from "${metadata.generateName}"` });
}

function newObject(context: ServerContext, target: Target, input: KubeObject): KubeObject {
  const name = chooseName(context, target, input.metadata);
  const metadata: ObjectMeta = { ...input.metadata, name, uid: newUid(), creationTimestamp: timestamp(context.now()) };
  delete metadata.resourceVersion;
  delete metadata.deletionTimestamp;
  delete metadata.deletionGracePeriodSeconds;
  if (target.type.generation !== 'none') metadata.generation = 1;
  else delete metadata.generation;
  let object: KubeObject = { ...input, metadata };
  if (target.type.statusSubresource) delete object.status;
  if (target.type.defaults !== undefined) object = target.type.defaults(object);
  return object;
}

function finish(context: ServerContext, type: ResourceType, object: KubeObject): KubeObject {
  return canonical(isCrdType(type) ? withCrdStatus(object, timestamp(context.now())) : object);
}

export function create(context: ServerContext, target: Target, body: unknown, options: WriteOptions): WriteResult {
  const input = requestObject(target, body);
  requireNamespace(context, target);
  const candidate = newObject(context, target, input);
  const admitted = admit(target.type, target.version, candidate, { fieldValidation: options.fieldValidation });
  const object = finish(context, target.type, admitted.object);
  const name = object.metadata.name ?? '';
  if (context.store.get(keyOfType(target.type), target.namespace, name) !== undefined) throw alreadyExists(target.type, name);
  if (options.dryRun) return { object, created: true, warnings: admitted.warnings };
  const stored = context.store.put(keyOfType(target.type), object);
  afterWrite(context, target.type, stored);
  return { object: stored, created: true, warnings: admitted.warnings };
}

function specOf(type: ResourceType, object: KubeObject): unknown {
  if (type.generation === 'spec') return object.spec;
  return omit(object, 'metadata', 'status', 'apiVersion', 'kind');
}

function withGeneration(type: ResourceType, current: KubeObject, next: KubeObject): KubeObject {
  if (type.generation === 'none') return next;
  const generation = (current.metadata.generation ?? 1) + (deepEqual(specOf(type, current), specOf(type, next)) ? 0 : 1);
  return { ...next, metadata: { ...next.metadata, generation } };
}

/** The candidate for a write: a status write changes only status; a main write never changes status. */
function candidateFor(target: Target, current: KubeObject, next: KubeObject): KubeObject {
  if (target.subresource === 'status') {
    const candidate: KubeObject = { ...current, metadata: { ...current.metadata } };
    if (next.status === undefined) delete candidate.status;
    else candidate.status = next.status;
    return candidate;
  }
  const candidate: KubeObject = { ...next, metadata: keepServerFields(next.metadata, current.metadata) };
  if (target.type.statusSubresource) {
    if (current.status === undefined) delete candidate.status;
    else candidate.status = current.status;
  }
  return candidate;
}

function checkFinalizers(target: Target, current: KubeObject, candidate: KubeObject): void {
  if (current.metadata.deletionTimestamp === undefined) return;
  const before = new Set(current.metadata.finalizers ?? []);
  const added = (candidate.metadata.finalizers ?? []).filter((f) => !before.has(f));
  if (added.length > 0) {
    throw invalid(target.type, current.metadata.name ?? '', [
      { reason: 'FieldValueForbidden', message: 'Forbidden: no new finalizers can be added if the object is being deleted', field: 'metadata.finalizers' },
    ]);
  }
}

const comparable = (object: KubeObject): unknown => ({
  ...object,
  apiVersion: undefined,
  metadata: { ...object.metadata, resourceVersion: undefined, managedFields: object.metadata.managedFields?.map((m) => ({ ...m, time: undefined })) },
});

/** Defaulting runs on every write of the main resource, as the API server decodes every request (a Secret's stringData, …). */
const defaulted = (target: Target, object: KubeObject): KubeObject =>
  target.type.defaults === undefined || target.subresource !== undefined ? object : target.type.defaults(object);

/** Applies a new state to an existing object (the shared end of update, patch and apply). */
export function change(context: ServerContext, target: Target, edit: { current: KubeObject; next: KubeObject }, options: WriteOptions): WriteResult {
  const { current, next } = edit;
  const candidate = defaulted(target, candidateFor(target, current, next));
  checkFinalizers(target, current, candidate);
  const immutable = isCrdType(target.type) ? crdUpdateCauses(current, candidate) : [];
  if (immutable.length > 0) throw invalid(target.type, current.metadata.name ?? '', immutable);
  const admitted = admit(target.type, target.version, candidate, { fieldValidation: options.fieldValidation, stored: current });
  const object = withGeneration(target.type, current, finish(context, target.type, admitted.object));
  if (deepEqual(comparable(object), comparable(current))) return { object: current, created: false, warnings: admitted.warnings };
  if (options.dryRun) return { object, created: false, warnings: admitted.warnings };
  const stored = context.store.put(keyOfType(target.type), object);
  afterWrite(context, target.type, stored);
  if (stored.metadata.deletionTimestamp !== undefined && (stored.metadata.finalizers ?? []).length === 0) {
    finishDeletion(context, keyOfType(target.type), stored);
  }
  return { object: stored, created: false, warnings: admitted.warnings };
}

function checkVersion(target: Target, current: KubeObject, next: KubeObject): void {
  const wanted = next.metadata.resourceVersion;
  if (wanted !== undefined && wanted !== '' && wanted !== current.metadata.resourceVersion) throw conflict(target.type, target.name ?? '');
}

function checkName(target: Target, input: KubeObject): void {
  const name = target.name ?? '';
  if (input.metadata.name !== undefined && input.metadata.name !== name) {
    throw badRequest(`the name of the object (${input.metadata.name}) does not match the name on the URL (${name})`);
  }
}

export function update(context: ServerContext, target: Target, body: unknown, options: WriteOptions): WriteResult {
  const input = requestObject(target, body);
  const name = target.name ?? '';
  checkName(target, input);
  const current = existing(context, target);
  const version = input.metadata.resourceVersion;
  if ((version === undefined || version === '') && target.type.custom) {
    throw invalid(target.type, name, [
      { reason: 'FieldValueInvalid', message: 'Invalid value: 0x0: must be specified for an update', field: 'metadata.resourceVersion' },
    ]);
  }
  checkVersion(target, current, input);
  return change(context, target, { current, next: input }, options);
}

function apply(context: ServerContext, target: Target, raw: string, options: WriteOptions): WriteResult {
  const manager = options.fieldManager ?? '';
  if (manager === '') throw badRequest('PATCH with the apply patch type requires the fieldManager query parameter');
  const input = requestObject(target, applyPatchBody(raw));
  checkName(target, input);
  const current = context.store.get(keyOfType(target.type), target.namespace, target.name ?? '');
  const settings = { manager, force: options.force === true, apiVersion: input.apiVersion ?? '', now: timestamp(context.now()) };
  const named: KubeObject = { ...input, metadata: { ...input.metadata, name: target.name ?? '' } };
  if (current === undefined) {
    if (target.subresource === 'status') throw notFound(target.type, target.name ?? '');
    return create(context, { ...target, name: undefined }, serverSideApply(undefined, named, settings), options);
  }
  checkVersion(target, current, input);
  return change(context, target, { current, next: serverSideApply(present(target, current), named, settings) }, options);
}

export function patch(context: ServerContext, target: Target, body: { patchType: PatchType; raw: string }, options: WriteOptions): WriteResult {
  if (body.patchType === 'apply') return apply(context, target, body.raw, options);
  const current = existing(context, target);
  const next = requestObject(target, patchedObject(target.type, present(target, current), body.patchType, body.raw));
  checkVersion(target, current, next);
  return change(context, target, { current, next }, options);
}
