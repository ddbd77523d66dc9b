/**
 * What exists before the first request: the system namespaces, the resource types of CRDs already in
 * the store, and the CRDs shipped with the project (created, or updated when their file changed).
 */
import { FieldValidation } from './admission.js';
import { SYSTEM_NAMESPACES } from './builtins.js';
import { keyOfType, type ServerContext, type Target } from './context.js';
import { crdToResourceType, CRD_GROUP, CRD_PLURAL, readCrdFiles } from './crd.js';
import { deepEqual } from './json.js';
import type { KubeObject } from './types.js';
import { typeKey } from './types.js';
import { change, create, requestObject, type WriteOptions } from './writes.js';

const OPTIONS: WriteOptions = { dryRun: false, fieldValidation: FieldValidation.ignore };

function targetOf(context: ServerContext, group: string, plural: string): Target {
  const type = context.registry.byKey(typeKey(group, plural));
  const version = type?.versions[0];
  if (type === undefined || version === undefined) throw new Error(`the built-in type ${plural} is not registered`);
  return { type, version, namespace: '' };
}

function ensureNamespaces(context: ServerContext): void {
  const target = targetOf(context, '', 'namespaces');
  for (const name of SYSTEM_NAMESPACES) {
    if (context.store.get('namespaces', '', name) === undefined) create(context, target, { metadata: { name } }, OPTIONS);
  }
}

function registerStoredCrds(context: ServerContext): void {
  for (const crd of context.store.list(typeKey(CRD_GROUP, CRD_PLURAL))) context.registry.register(crdToResourceType(crd));
}

function upsertCrd(context: ServerContext, crd: KubeObject): void {
  const target = targetOf(context, CRD_GROUP, CRD_PLURAL);
  const name = crd.metadata.name ?? '';
  const current = context.store.get(keyOfType(target.type), '', name);
  try {
    if (current === undefined) create(context, target, crd, OPTIONS);
    else if (!deepEqual(current.spec, crd.spec)) change(context, { ...target, name }, { current, next: requestObject({ ...target, name }, crd) }, OPTIONS);
  } catch (error: unknown) {
    throw new Error(`the CRD ${name} cannot be registered: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** Prepares a freshly opened store; the caller commits. */
export function bootstrap(context: ServerContext, crdDirs: readonly string[]): void {
  registerStoredCrds(context);
  ensureNamespaces(context);
  for (const crd of readCrdFiles(crdDirs)) upsertCrd(context, crd);
}
