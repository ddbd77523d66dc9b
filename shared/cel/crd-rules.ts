/**
 * The validation rules of our own CRDs, applied to an object offline (`drplan lint`): the same schemas
 * the generated CRDs carry (shared/api/crd.ts), so lint refuses what `kubectl apply` would.
 */
import { buildCrd, CRD_SOURCES } from '../api/crd.js';
import type { Kind } from '../api/constants.js';
import { problem, type Problem } from '../engine/problems.js';
import { isRecord } from '../type-utils.js';
import { ruleFailures } from './validate.js';

const schemas = new Map<string, unknown>();

/** The `openAPIV3Schema` of one of our kinds, built once. */
export function schemaOf(kind: Kind): unknown {
  if (!schemas.has(kind)) {
    const source = CRD_SOURCES.find((candidate) => candidate.kind === kind);
    const crd = source === undefined ? undefined : buildCrd(source);
    const spec = isRecord(crd?.spec) ? crd.spec : {};
    const [version] = Array.isArray(spec.versions) ? (spec.versions as unknown[]) : [];
    const schema = isRecord(version) && isRecord(version.schema) ? version.schema.openAPIV3Schema : undefined;
    schemas.set(kind, schema);
  }
  return schemas.get(kind);
}

/**
 * The CRD rules `object` breaks, as problems (field path and message), leaving out a field already
 * reported in `known` (the validators' problems say the same thing in their own words). As on the API
 * server, the rules are evaluated only on an object the schema accepts, with its defaults applied.
 */
export function ruleProblems(kind: Kind, object: unknown, known: readonly Problem[] = []): Problem[] {
  const parsed = CRD_SOURCES.find((source) => source.kind === kind)?.schema.safeParse(object);
  if (parsed?.success !== true) return [];
  // a problem at the field, or inside it, already says it
  const covers = (field: string): boolean => known.some(({ path }) => path === field || path.startsWith(`${field}.`) || path.startsWith(`${field}[`));
  // with the schema's defaults, as the API server applies them before the rules
  return ruleFailures(schemaOf(kind), parsed.data)
    .filter((failure) => !covers(failure.field))
    .map((failure) => problem(failure.field, failure.detail));
}
