/**
 * Which events a Trigger delivers, as Knative's broker decides it: when `spec.filters` (the
 * CloudEvents Subscriptions API dialects) is set it alone decides and every entry must match; else
 * `spec.filter.attributes`, exact matches where an empty value matches anything. Dialects: `exact`,
 * `prefix`, `suffix` (every attribute named must exist and match), `all`, `any`, `not`. `cesql` is not
 * evaluated here: a manifest using it is reported, not guessed.
 */
import { isRecord } from '../../shared/type-utils.js';
export type Attributes = Readonly<Record<string, string>>;

function eachAttribute(spec: unknown, test: (actual: string, wanted: string) => boolean, event: Attributes): boolean {
  if (!isRecord(spec)) throw new Error(`a filter dialect needs a map of attributes, got ${JSON.stringify(spec)}`);
  return Object.entries(spec).every(([name, wanted]) => {
    const actual = event[name];
    return typeof wanted === 'string' && actual !== undefined && test(actual, wanted);
  });
}

function list(value: unknown, dialect: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`filter dialect ${dialect} needs a list of filters`);
  return value as unknown[];
}

/** The one dialect of a filter expression and its value. */
function dialectOf(filter: unknown): [string, unknown] {
  if (!isRecord(filter)) throw new Error(`a filter must be a map, got ${JSON.stringify(filter)}`);
  const entries = Object.entries(filter);
  const [first] = entries;
  if (entries.length !== 1 || first === undefined) throw new Error(`a filter has exactly one dialect, got ${Object.keys(filter).join(', ') || 'none'}`);
  return first;
}

/** One filter expression of `spec.filters`. */
export function filterMatches(filter: unknown, event: Attributes): boolean {
  const [dialect, value] = dialectOf(filter);
  switch (dialect) {
    case 'exact':
      return eachAttribute(value, (actual, wanted) => actual === wanted, event);
    case 'prefix':
      return eachAttribute(value, (actual, wanted) => actual.startsWith(wanted), event);
    case 'suffix':
      return eachAttribute(value, (actual, wanted) => actual.endsWith(wanted), event);
    case 'all':
      return list(value, dialect).every((inner) => filterMatches(inner, event));
    case 'any':
      return list(value, dialect).some((inner) => filterMatches(inner, event));
    case 'not':
      return !filterMatches(value, event);
    default:
      throw new Error(`filter dialect ${dialect} is not evaluated by these tests`);
  }
}

/** Whether a Trigger with this `spec` delivers an event with these attributes. */
export function triggerMatches(spec: unknown, event: Attributes): boolean {
  const filters = isRecord(spec) ? spec.filters : undefined;
  if (Array.isArray(filters) && filters.length > 0) return filters.every((filter) => filterMatches(filter, event));
  const attributes = isRecord(spec) && isRecord(spec.filter) ? spec.filter.attributes : undefined;
  if (!isRecord(attributes)) return true;
  return Object.entries(attributes).every(([name, wanted]) => wanted === '' || event[name] === wanted);
}
