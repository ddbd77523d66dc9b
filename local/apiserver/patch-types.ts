/**
 * The four patch content types and what each does to the current object. Custom resources refuse
 * strategic merge patch with 415, as a real server does.
 */
import { parseYamlValue } from '../../shared/yaml.js';
import { badRequest, unsupportedMediaType } from './errors.js';
import { jsonPatch, mergePatch, parseJsonPatch } from './patch.js';
import { strategicMerge } from './strategic-merge.js';
import type { KubeObject, ResourceType } from './types.js';
import { isRecord } from './types.js';

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

const CONTENT_TYPES: Readonly<Record<string, PatchType>> = {
  'application/merge-patch+json': 'merge',
  'application/json-patch+json': 'json',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+json': 'apply',
};

const CUSTOM_ACCEPTED = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];
const BUILTIN_ACCEPTED = [...CUSTOM_ACCEPTED, 'application/strategic-merge-patch+json'];

/** The patch type of a `Content-Type` header (parameters ignored); 415 for anything else. */
export function patchTypeOf(contentType: string, type: ResourceType): PatchType {
  const media = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  const patchType = CONTENT_TYPES[media];
  const accepted = type.strategicMerge ? BUILTIN_ACCEPTED : CUSTOM_ACCEPTED;
  if (patchType === undefined || (patchType === 'strategic' && !type.strategicMerge)) throw unsupportedMediaType(media, accepted);
  return patchType;
}

/**
 * How deep a request body may nest (objects and lists). A real object is a few dozen levels deep; the
 * server's own walks (admission, patches, apply) recurse, and a body nested thousands deep must be a
 * 400, not a stack overflow answered 500.
 */
export const MAX_BODY_DEPTH = 200;

/** The nesting depth of a parsed body, measured without recursion (so it cannot overflow itself); stops past `limit`. */
function depthExceeds(value: unknown, limit: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item === undefined || typeof item.value !== 'object' || item.value === null) continue;
    if (item.depth >= limit) return true;
    for (const child of Object.values(item.value)) if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: item.depth + 1 });
  }
  return false;
}

/** `value`, or a 400 when it nests deeper than MAX_BODY_DEPTH. */
export function checkedDepth<T>(value: T, what: string): T {
  if (depthExceeds(value, MAX_BODY_DEPTH)) throw badRequest(`${what} nests deeper than ${MAX_BODY_DEPTH} levels`);
  return value;
}

export function parseJsonBody(raw: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(raw) as unknown;
  } catch (error: unknown) {
    throw badRequest(`the request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  return checkedDepth(value, 'the request body');
}

/** An apply patch: a YAML (or JSON, which is YAML) object. */
export function applyPatchBody(raw: string): unknown {
  let value: unknown;
  try {
    value = parseYamlValue(raw);
  } catch (error: unknown) {
    throw badRequest(`the apply patch is not valid YAML: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  if (!isRecord(value)) throw badRequest('the apply patch must be an object');
  return checkedDepth(value, 'the apply patch');
}

export function patchedObject(type: ResourceType, current: KubeObject, patchType: Exclude<PatchType, 'apply'>, raw: string): unknown {
  const document = parseJsonBody(raw);
  if (patchType === 'json') return jsonPatch(current, parseJsonPatch(document));
  if (!isRecord(document)) throw badRequest('a merge patch must be a JSON object');
  if (patchType === 'strategic' && type.strategicMerge) return strategicMerge(current, document);
  return mergePatch(current, document);
}
