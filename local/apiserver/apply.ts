/**
 * Server-side apply, simplified. Each apply manager owns the leaf fields of its last applied
 * configuration (recorded in `metadata.managedFields` as FieldsV1). Applying merges maps recursively and
 * replaces lists whole (lists are atomic here, unlike the real server's keyed list merge); a field the
 * manager applied before and has now dropped is removed unless another manager owns it; a field
 * another apply manager owns with a different value is a conflict unless `force=true`. Writes that are
 * not applies do not take ownership. See docs/local-apiserver.md.
 */
import { ApiError, Reasons, type StatusCause } from './errors.js';
import { deepEqual, omit } from './json.js';
import type { KubeObject, ManagedFieldsEntry } from './types.js';
import { isRecord } from './types.js';

type Path = readonly string[];

/** Fields that identify an object rather than describe it: never owned. */
const UNOWNED = new Set([
  '["apiVersion"]',
  '["kind"]',
  '["metadata","name"]',
  '["metadata","namespace"]',
  '["metadata","resourceVersion"]',
  '["metadata","managedFields"]',
]);

function leafPaths(value: unknown, prefix: Path, out: Set<string>): void {
  if (isRecord(value) && Object.keys(value).length > 0) {
    for (const [key, child] of Object.entries(value)) leafPaths(child, [...prefix, key], out);
    return;
  }
  const key = JSON.stringify(prefix);
  if (prefix.length > 0 && !UNOWNED.has(key)) out.add(key);
}

export function ownedFields(applied: unknown): Set<string> {
  const out = new Set<string>();
  leafPaths(applied, [], out);
  return out;
}

export function toFieldsV1(fields: ReadonlySet<string>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const field of fields) {
    let node = root;
    for (const segment of JSON.parse(field) as string[]) {
      const key = `f:${segment}`;
      const child = node[key];
      const next = isRecord(child) ? child : {};
      node[key] = next;
      node = next;
    }
  }
  return root;
}

export function fromFieldsV1(tree: unknown, prefix: Path = [], out = new Set<string>()): Set<string> {
  if (!isRecord(tree)) return out;
  const children = Object.entries(tree).filter(([key]) => key.startsWith('f:'));
  if (children.length === 0 && prefix.length > 0) out.add(JSON.stringify(prefix));
  for (const [key, child] of children) fromFieldsV1(child, [...prefix, key.slice(2)], out);
  return out;
}

function valueAt(object: unknown, path: Path): unknown {
  let current = object;
  for (const segment of path) current = isRecord(current) ? current[segment] : undefined;
  return current;
}

/** The value without the field at `path`; maps the removal empties go too (nobody owns them any more). */
function withoutPath(value: unknown, path: Path): unknown {
  const [head, ...rest] = path;
  if (head === undefined || !isRecord(value) || !Object.hasOwn(value, head)) return value;
  if (rest.length === 0) return omit(value, head);
  const child = withoutPath(value[head], rest);
  if (isRecord(child) && Object.keys(child).length === 0) return omit(value, head);
  return { ...value, [head]: child };
}

function mergeApplied(current: unknown, applied: unknown): unknown {
  if (!isRecord(current) || !isRecord(applied)) return structuredClone(applied);
  const out: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(applied)) out[key] = mergeApplied(current[key], value);
  return Object.fromEntries(Object.entries(out).filter(([, value]) => value !== null));
}

export interface ApplyOptions {
  manager: string;
  force: boolean;
  apiVersion: string;
  now: string;
}

interface Owned {
  entry: ManagedFieldsEntry;
  fields: Set<string>;
}

const displayPath = (field: string): string => `.${(JSON.parse(field) as string[]).join('.')}`;

function conflictsWith(current: KubeObject, applied: KubeObject, fields: Set<string>, others: Owned[]): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const other of others) {
    for (const field of fields) {
      const path = JSON.parse(field) as string[];
      if (other.fields.has(field) && !deepEqual(valueAt(current, path), valueAt(applied, path))) {
        causes.push({ reason: 'FieldManagerConflict', message: `conflict with "${other.entry.manager}"`, field: displayPath(field) });
      }
    }
  }
  return causes;
}

function conflictError(causes: StatusCause[]): ApiError {
  const list = causes.map((c) => `${c.message}: ${c.field}`).join('\n- ');
  return new ApiError({
    code: 409,
    reason: Reasons.conflict,
    message: `Apply failed with ${causes.length} conflict${causes.length === 1 ? '' : 's'}: ${causes.length === 1 ? list : `\n- ${list}`}`,
    details: { causes },
  });
}

function ownership(current: KubeObject | undefined, manager: string): { mine: Set<string>; others: Owned[] } {
  const entries = (current?.metadata.managedFields ?? []).map((entry) => ({ entry, fields: fromFieldsV1(entry.fieldsV1) }));
  const isMine = (o: Owned): boolean => o.entry.manager === manager && o.entry.operation === 'Apply';
  return { mine: entries.find(isMine)?.fields ?? new Set(), others: entries.filter((o) => !isMine(o)) };
}

/** The object after `applied` is applied by `options.manager` (a new object when `current` is undefined). */
export function serverSideApply(current: KubeObject | undefined, applied: KubeObject, options: ApplyOptions): KubeObject {
  const fields = ownedFields(applied);
  const { mine, others } = ownership(current, options.manager);
  const base: KubeObject = current ?? { metadata: {} };
  const causes = conflictsWith(
    base,
    applied,
    fields,
    others.filter((o) => o.entry.operation === 'Apply'),
  );
  if (causes.length > 0 && !options.force) throw conflictError(causes);
  for (const other of others) for (const field of fields) other.fields.delete(field);
  let merged = mergeApplied(base, applied) as KubeObject;
  const keptByOthers = new Set(others.flatMap((o) => [...o.fields]));
  for (const field of mine) {
    if (!fields.has(field) && !keptByOthers.has(field)) merged = withoutPath(merged, JSON.parse(field) as string[]) as KubeObject;
  }
  const entry: ManagedFieldsEntry = {
    manager: options.manager,
    operation: 'Apply',
    apiVersion: options.apiVersion,
    time: options.now,
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(fields),
  };
  const kept = others.filter((o) => o.fields.size > 0).map((o) => ({ ...o.entry, fieldsV1: toFieldsV1(o.fields) }));
  return { ...merged, metadata: { ...merged.metadata, managedFields: [...kept, entry] } };
}
