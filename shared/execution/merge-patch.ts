/**
 * The JSON merge patch (RFC 7386) that turns one status into another, so a status write sends only what
 * changed: objects are diffed key by key (a key that disappeared becomes `null`), lists and scalars are
 * sent whole when they differ.
 */
import { isDeepStrictEqual } from 'node:util';

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The patch of one value: `undefined` when nothing changed. */
function valuePatch(before: unknown, after: unknown): unknown {
  if (isRecord(before) && isRecord(after)) return objectPatch(before, after);
  return isDeepStrictEqual(before, after) ? undefined : after;
}

function objectPatch(before: Json, after: Json): Json | undefined {
  const patch: Json = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const next = after[key];
    if (next === undefined) {
      if (before[key] !== undefined) patch[key] = null;
      continue;
    }
    const change = valuePatch(before[key], next);
    if (change !== undefined) patch[key] = change;
  }
  return Object.keys(patch).length === 0 ? undefined : patch;
}

/** The merge patch from `before` to `after`, or `undefined` when they are equal (nothing to write). */
export function mergePatchBetween(before: object | undefined, after: object): Json | undefined {
  return objectPatch({ ...before }, { ...after });
}
