/** Small JSON helpers: structural equality, dotted-path reads, and the fields pruning removed. */
import { isRecord } from './types.js';

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  if (!isRecord(a) || !isRecord(b)) return false;
  const keys = Object.keys(a).filter((key) => a[key] !== undefined);
  if (keys.length !== Object.keys(b).filter((key) => b[key] !== undefined).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && deepEqual(a[key], b[key]));
}

/** Reads `metadata.name`, `status.phase`, `involvedObject.kind`…; undefined when any step is missing. */
export function readPath(object: unknown, path: string): unknown {
  let current: unknown = object;
  for (const segment of path.split('.')) {
    if (!isRecord(current)) return undefined;
    current = current[segment];
  }
  return current;
}

/**
 * The fields present in `input` but gone from `output` (what pruning dropped), as `spec.foo` /
 * `spec.items[0].bar` paths. Used to report unknown fields for `fieldValidation=Strict|Warn`.
 */
export function removedFields(input: unknown, output: unknown, prefix = ''): string[] {
  if (Array.isArray(input) && Array.isArray(output)) {
    return input.flatMap((item, index) => removedFields(item, output[index], `${prefix}[${index}]`));
  }
  if (!isRecord(input) || !isRecord(output)) return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(input)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (!Object.hasOwn(output, key)) out.push(path);
    else out.push(...removedFields(value, output[key], path));
  }
  return out;
}

export const clone = <T>(value: T): T => structuredClone(value);

/** A copy of `record` without the given keys. */
export function omit<T extends Record<string, unknown>>(record: T, ...keys: string[]): T {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key))) as T;
}
