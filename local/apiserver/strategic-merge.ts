/**
 * Strategic merge patch (`application/strategic-merge-patch+json`), what `kubectl apply`, `edit`,
 * `label`, `annotate` and `patch` (by default) send for built-in kinds.
 *
 * Simplification: a real server knows, from the Go types, the patch strategy and merge key of every
 * list *at its position in a given kind*. Here a list is recognised by its field name alone, with the
 * merge keys of the well-known lists below (`ports` is merged by `containerPort`, or by `port` for a
 * Service's ports). Any other list is replaced, as a JSON merge patch would. Maps merge recursively;
 * `null` deletes a field. Directives:
 *  - `$patch: replace` on a map or as a list item replaces it; `$patch: delete` on a map deletes it, as
 *    a list item deletes the item with the same merge key;
 *  - `$deleteFromPrimitiveList/<field>` removes values from a merged list of scalars (`finalizers`);
 *  - `$retainKeys` and `$setElementOrder/<field>` are accepted and ignored (order is kept as it was,
 *    new items are appended).
 * A `$patch: delete` at the top level yields an empty object.
 */
import { isRecord } from './schema-node.js';

type JsonMap = Record<string, unknown>;

/** Merge keys of the lists merged item by item, by field name; the first key present in an item is used. */
export const MERGE_KEYS: Readonly<Record<string, readonly string[]>> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  env: ['name'],
  ports: ['containerPort', 'port'],
  volumes: ['name'],
  volumeMounts: ['mountPath'],
  volumeDevices: ['devicePath'],
  imagePullSecrets: ['name'],
  conditions: ['type'],
  hostAliases: ['ip'],
  ownerReferences: ['uid'],
  secrets: ['name'],
  resourceClaims: ['name'],
  schedulingGates: ['name'],
  topologySpreadConstraints: ['topologyKey'],
};

/** Lists of scalars merged as sets (`patchStrategy: merge` on a `[]string`). */
export const MERGED_SCALAR_LISTS: ReadonlySet<string> = new Set(['finalizers']);

const DELETE_FROM_LIST = '$deleteFromPrimitiveList/';
const DELETED = Symbol('deleted');
type Merged = unknown;

const clone = <T>(value: T): T => structuredClone(value);

const isDirectiveKey = (key: string): boolean => key.startsWith('$');

/** A list item made only of directives, such as `{$patch: replace}`. */
const isMarker = (item: unknown): boolean => isRecord(item) && Object.keys(item).every(isDirectiveKey);

/** A patch value with every directive removed (what ends up stored for replaced or new content). */
function withoutDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((item) => !isMarker(item)).map(withoutDirectives);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !isDirectiveKey(key))
      .map(([key, v]) => [key, withoutDirectives(v)]),
  );
}

function removeScalars(current: unknown, remove: unknown): unknown {
  if (!Array.isArray(current) || !Array.isArray(remove)) return current;
  const gone = new Set(remove.map((v) => JSON.stringify(v)));
  return current.filter((v) => !gone.has(JSON.stringify(v)));
}

function mergeMap(original: Readonly<JsonMap>, patch: Readonly<JsonMap>): JsonMap | typeof DELETED {
  if (patch.$patch === 'delete') return DELETED;
  if (patch.$patch === 'replace') return withoutDirectives(patch) as JsonMap;
  const out: JsonMap = clone(original);
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(DELETE_FROM_LIST)) {
      const field = key.slice(DELETE_FROM_LIST.length);
      out[field] = removeScalars(out[field], value);
      continue;
    }
    if (isDirectiveKey(key)) continue;
    const merged = mergeValue(key, out[key], value);
    if (merged === DELETED) Reflect.deleteProperty(out, key);
    else out[key] = merged;
  }
  return out;
}

function mergeValue(key: string, current: unknown, patch: unknown): Merged {
  if (patch === null) return DELETED;
  if (isRecord(patch)) return mergeMap(isRecord(current) ? current : {}, patch);
  if (Array.isArray(patch)) return mergeList(key, current, patch);
  return clone(patch);
}

function mergeList(key: string, current: unknown, patch: readonly unknown[]): unknown[] {
  const replace = patch.some((item) => isRecord(item) && item.$patch === 'replace');
  const keys = MERGE_KEYS[key];
  const base = Array.isArray(current) ? current : [];
  if (!replace && MERGED_SCALAR_LISTS.has(key) && patch.every((item) => !isRecord(item))) return unionScalars(base, patch);
  if (replace || keys === undefined || !patch.every(isRecord)) return withoutDirectives(patch) as unknown[];
  return mergeByKey(base, patch.filter(isRecord), keys);
}

function unionScalars(base: readonly unknown[], patch: readonly unknown[]): unknown[] {
  const seen = new Set(base.map((v) => JSON.stringify(v)));
  return [...clone([...base]), ...patch.filter((v) => !seen.has(JSON.stringify(v)))];
}

/** The merge key (name and value) an item is identified by: the first listed key it has. */
function identity(item: Readonly<JsonMap>, keys: readonly string[]): [string, unknown] | undefined {
  const key = keys.find((k) => item[k] !== undefined);
  return key === undefined ? undefined : [key, item[key]];
}

function mergeByKey(base: readonly unknown[], patch: readonly JsonMap[], keys: readonly string[]): unknown[] {
  const result: unknown[] = clone([...base]);
  for (const item of patch) {
    const id = identity(item, keys);
    const index = id === undefined ? -1 : result.findIndex((existing) => isRecord(existing) && existing[id[0]] === id[1]);
    const existing = result[index];
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    const merged = mergeMap(isRecord(existing) ? existing : {}, item);
    if (merged === DELETED) continue;
    if (index >= 0) result[index] = merged;
    else result.push(merged);
  }
  return result;
}

/** Applies a strategic merge patch to `original` (neither is modified). */
export function strategicMerge(original: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const merged = mergeMap(isRecord(original) ? original : {}, patch);
  return merged === DELETED ? {} : merged;
}
