/**
 * What happens to an object before it is stored: metadata checks, then for custom resources the
 * CRD's OpenAPI schema (validation, defaulting, pruning) and for CRDs the checks a real server makes.
 * Unknown fields are handled by `fieldValidation`: Strict → 400, Warn → a `Warning` header, Ignore.
 * On an update, `stored` is the object as it was: the CRD's transition rules compare with it.
 */
import { crdCauses, CRD_GROUP, CRD_PLURAL } from './crd.js';
import { badRequest, invalid, type StatusCause } from './errors.js';
import { removedFields } from './json.js';
import { labelCauses } from './metadata.js';
import { admitCustomResource } from './schema.js';
import type { KubeObject, ResourceType, ResourceVersion } from './types.js';
import { isRecord } from './types.js';

export const FieldValidation = { strict: 'Strict', warn: 'Warn', ignore: 'Ignore' } as const;
export type FieldValidation = (typeof FieldValidation)[keyof typeof FieldValidation];

export interface Admitted {
  object: KubeObject;
  warnings: string[];
}

export function parseFieldValidation(value: string | null): FieldValidation {
  if (value === null || value === '') return FieldValidation.warn;
  const match = Object.values(FieldValidation).find((v) => v.toLowerCase() === value.toLowerCase());
  if (match === undefined) throw badRequest(`fieldValidation must be one of Strict, Warn or Ignore, not "${value}"`);
  return match;
}

export const isCrdType = (type: ResourceType): boolean => type.group === CRD_GROUP && type.plural === CRD_PLURAL;

function customResource(
  type: ResourceType,
  version: ResourceVersion,
  candidate: KubeObject,
  stored: KubeObject | undefined,
): { object: KubeObject; causes: StatusCause[] } {
  if (version.schema === undefined) return { object: candidate, causes: [] };
  const result = admitCustomResource(version.schema, candidate, type.kind, stored);
  const output = isRecord(result.object) ? result.object : {};
  return { object: { ...output, apiVersion: candidate.apiVersion, kind: candidate.kind, metadata: candidate.metadata }, causes: result.causes };
}

function unknownFieldOutcome(type: ResourceType, version: ResourceVersion, unknown: string[], mode: FieldValidation): string[] {
  if (unknown.length === 0 || mode === FieldValidation.ignore) return [];
  const list = unknown.map((field) => `unknown field "${field}"`);
  if (mode === FieldValidation.strict) {
    throw badRequest(`${type.kind} in version "${version.name}" cannot be handled as a ${type.kind}: strict decoding error: ${list.join(', ')}`);
  }
  return list;
}

/** Validates, defaults and prunes a candidate object; throws 422 Invalid (with causes) or 400 for unknown fields under Strict. */
export function admit(
  type: ResourceType,
  version: ResourceVersion,
  candidate: KubeObject,
  mode: { fieldValidation: FieldValidation; stored?: KubeObject },
): Admitted {
  const name = candidate.metadata.name ?? '';
  const causes = labelCauses(candidate.metadata.labels);
  let object = candidate;
  let warnings: string[] = [];
  if (type.custom) {
    const result = customResource(type, version, candidate, mode.stored);
    causes.push(...result.causes);
    object = result.object;
    if (causes.length === 0)
      warnings = unknownFieldOutcome(
        type,
        version,
        removedFields(candidate, object).filter((f) => !f.startsWith('metadata.')),
        mode.fieldValidation,
      );
  }
  if (isCrdType(type)) causes.push(...crdCauses(candidate));
  if (causes.length > 0) throw invalid(type, name, causes);
  return { object, warnings };
}
