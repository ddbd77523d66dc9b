/**
 * JSON merge patch (RFC 7386) and JSON patch (RFC 6902, all six operations including `test`).
 * A malformed patch document is a 400; a patch that cannot be applied (a failed `test`, a missing
 * path) is a 422, as on a real server.
 */
import { ApiError, Reasons, badRequest } from './errors.js';
import { clone, deepEqual } from './json.js';
import { isRecord } from './types.js';

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) out[key] = value === null ? null : mergePatch(out[key], value);
  return Object.fromEntries(Object.entries(out).filter(([key]) => patch[key] !== null));
}

export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);
const NEEDS_FROM = new Set(['move', 'copy']);
const NEEDS_VALUE = new Set(['add', 'replace', 'test']);

function parseOperation(entry: unknown, index: number): JsonPatchOperation {
  if (!isRecord(entry) || typeof entry.op !== 'string' || !OPS.has(entry.op)) {
    throw badRequest(`the JSON patch operation [${index}] has no valid "op" (add, remove, replace, move, copy, test)`);
  }
  if (typeof entry.path !== 'string') throw badRequest(`the JSON patch operation [${index}] has no "path"`);
  if (NEEDS_FROM.has(entry.op) && typeof entry.from !== 'string') throw badRequest(`the JSON patch operation [${index}] (${entry.op}) has no "from"`);
  if (NEEDS_VALUE.has(entry.op) && !Object.hasOwn(entry, 'value')) throw badRequest(`the JSON patch operation [${index}] (${entry.op}) has no "value"`);
  return entry as unknown as JsonPatchOperation;
}

/** Checks the shape of a JSON patch document (400 when it is not one). */
export function parseJsonPatch(document: unknown): JsonPatchOperation[] {
  if (!Array.isArray(document)) throw badRequest('the JSON patch must be an array of operations');
  return document.map(parseOperation);
}

const unprocessable = (message: string): ApiError => new ApiError({ code: 422, reason: Reasons.invalid, message });

function tokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw unprocessable(`the JSON pointer "${pointer}" must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
}

interface Slot {
  parent: Record<string, unknown> | unknown[];
  token: string;
}

/** The container holding the last token of `pointer` (which must exist). */
function slot(document: unknown, pointer: string): Slot {
  const path = tokens(pointer);
  const last = path.pop();
  if (last === undefined) throw unprocessable('the operation cannot target the whole document');
  let current: unknown = document;
  for (const token of path) {
    current = Array.isArray(current) ? current[Number(token)] : isRecord(current) ? current[token] : undefined;
    if (current === undefined) throw unprocessable(`the path "${pointer}" does not exist`);
  }
  if (!Array.isArray(current) && !isRecord(current)) throw unprocessable(`the path "${pointer}" does not exist`);
  return { parent: current, token: last };
}

function arrayIndex(array: unknown[], token: string, pointer: string, forAdd: boolean): number {
  if (forAdd && token === '-') return array.length;
  const index = /^(0|[1-9][0-9]*)$/.test(token) ? Number(token) : Number.NaN;
  const limit = forAdd ? array.length : array.length - 1;
  if (Number.isNaN(index) || index > limit) throw unprocessable(`the array index in "${pointer}" is out of range`);
  return index;
}

function read(document: unknown, pointer: string): unknown {
  const { parent, token } = slot(document, pointer);
  const value = Array.isArray(parent) ? parent[arrayIndex(parent, token, pointer, false)] : parent[token];
  if (value === undefined || (!Array.isArray(parent) && !Object.hasOwn(parent, token))) throw unprocessable(`the path "${pointer}" does not exist`);
  return value;
}

function add(document: unknown, pointer: string, value: unknown): unknown {
  if (pointer === '') return clone(value);
  const { parent, token } = slot(document, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, token, pointer, true), 0, clone(value));
  else parent[token] = clone(value);
  return document;
}

function remove(document: unknown, pointer: string): unknown {
  read(document, pointer);
  const { parent, token } = slot(document, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, token, pointer, false), 1);
  else Reflect.deleteProperty(parent, token);
  return document;
}

function test(document: unknown, operation: JsonPatchOperation): unknown {
  const actual = operation.path === '' ? document : read(document, operation.path);
  if (!deepEqual(actual, operation.value)) throw unprocessable(`the test operation on "${operation.path}" failed: the value is ${JSON.stringify(actual)}`);
  return document;
}

const APPLY: Readonly<Record<JsonPatchOperation['op'], (document: unknown, operation: JsonPatchOperation) => unknown>> = {
  add: (document, o) => add(document, o.path, o.value),
  remove: (document, o) => remove(document, o.path),
  replace: (document, o) => (o.path === '' ? clone(o.value) : add(remove(document, o.path), o.path, o.value)),
  move: (document, o) => {
    const value = read(document, o.from ?? '');
    return add(remove(document, o.from ?? ''), o.path, value);
  },
  copy: (document, o) => add(document, o.path, read(document, o.from ?? '')),
  test,
};

export function jsonPatch(target: unknown, operations: readonly JsonPatchOperation[]): unknown {
  let document = clone(target);
  for (const operation of operations) document = APPLY[operation.op](document, operation);
  return document;
}
