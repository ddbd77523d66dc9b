/**
 * Pruning and defaulting of a custom resource against its structural schema, as kube-apiserver does
 * on every write (apiextensions-apiserver `pruning.Prune`, `defaulting.PruneNonNullableNullsWithoutDefaults`
 * and `defaulting.Default`). Both return new values; the input is never modified.
 */
import type { SchemaNode } from './schema-node.js';
import { additionalOf, isEmbeddedResource, isNullable, isRecord, itemsOf, preservesUnknown, propertiesOf } from './schema-node.js';

/** Fields every object (and every `x-kubernetes-embedded-resource`) keeps whatever its schema says. */
const OBJECT_FIELDS: ReadonlySet<string> = new Set(['apiVersion', 'kind', 'metadata']);

const clone = <T>(value: T): T => structuredClone(value);

/**
 * Drops fields the schema does not specify. Unknown fields survive under
 * `x-kubernetes-preserve-unknown-fields: true` (their known siblings are still pruned); the root and
 * embedded resources keep `apiVersion`, `kind` and `metadata` untouched.
 */
export function prune(value: unknown, schema: SchemaNode, isObjectRoot = false): unknown {
  if (Array.isArray(value)) {
    const items = itemsOf(schema);
    return items === undefined ? clone(value) : value.map((item) => prune(item, items));
  }
  return isRecord(value) ? pruneFields(value, schema, isObjectRoot || isEmbeddedResource(schema)) : value;
}

function pruneFields(value: Readonly<Record<string, unknown>>, schema: SchemaNode, keepObjectFields: boolean): Record<string, unknown> {
  const properties = propertiesOf(schema);
  const additional = additionalOf(schema);
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    const known = properties[key] ?? additional;
    if (keepObjectFields && OBJECT_FIELDS.has(key)) out[key] = clone(field);
    else if (known !== undefined) out[key] = prune(field, known);
    else if (preservesUnknown(schema)) out[key] = clone(field);
  }
  return out;
}

/**
 * Applies `default`s to absent fields, recursively: a defaulted object then gets its own nested
 * defaults, and array items and map values are defaulted too. A `null` where the schema is not
 * `nullable` counts as absent: it is replaced by the default, or dropped when there is none. A `null`
 * under `nullable: true` is kept and not defaulted. At the object root, `apiVersion`, `kind` and
 * `metadata` are left alone.
 */
export function applyDefaults(value: unknown, schema: SchemaNode, isObjectRoot = false): unknown {
  if (Array.isArray(value)) return defaultItems(value, itemsOf(schema));
  return isRecord(value) ? defaultFields(value, schema, isObjectRoot) : value;
}

function defaultFields(value: Readonly<Record<string, unknown>>, schema: SchemaNode, isObjectRoot: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { ...value };
  const properties = propertiesOf(schema);
  const additional = additionalOf(schema);
  const skip = (key: string): boolean => isObjectRoot && OBJECT_FIELDS.has(key);
  for (const [key, property] of Object.entries(properties)) if (!skip(key)) setDefault(out, key, property);
  for (const key of Object.keys(out)) {
    const property = properties[key] ?? additional;
    if (property === undefined || skip(key)) continue;
    if (properties[key] === undefined) setDefault(out, key, property);
    if (key in out) out[key] = applyDefaults(out[key], property);
  }
  return out;
}

function setDefault(object: Record<string, unknown>, key: string, property: SchemaNode): void {
  const present = object[key] !== undefined;
  const nonNullableNull = object[key] === null && !isNullable(property);
  if (property.default !== undefined && (!present || nonNullableNull)) object[key] = clone(property.default);
  else if (nonNullableNull) Reflect.deleteProperty(object, key);
}

function defaultItems(items: readonly unknown[], schema: SchemaNode | undefined): unknown[] {
  if (schema === undefined) return clone([...items]);
  return items.map((item) => {
    const filled = item === null && !isNullable(schema) && schema.default !== undefined ? clone(schema.default) : item;
    return applyDefaults(filled, schema);
  });
}
