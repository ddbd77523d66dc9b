/**
 * Trigger filtering as Knative's broker does it. `spec.filters` (the subscriptions API: exact, prefix,
 * suffix, all, any, not; the list is ANDed) takes precedence over `spec.filter.attributes` when it is
 * non-empty. Attribute filters match exactly, an empty value matching any value of an attribute that
 * is present; the standard attributes always count as present (empty when unset).
 */
import type { CloudEvent } from './cloudevent.js';
import type { Filter, Trigger } from './knative-schemas.js';

/** Context attributes Knative's attribute filter always knows (their value is empty when unset). */
const STANDARD = new Set(['specversion', 'type', 'source', 'subject', 'id', 'time', 'dataschema', 'schemaurl', 'datacontenttype', 'datamediatype']);

/** The value of a context attribute or extension; undefined when the event does not carry it. */
export function attributeValue(event: CloudEvent, name: string): string | undefined {
  if (name === 'schemaurl') return event.attributes.dataschema ?? '';
  if (name === 'datamediatype') return (event.attributes.datacontenttype ?? '').split(';')[0]?.trim() ?? '';
  return event.attributes[name] ?? (STANDARD.has(name) ? '' : undefined);
}

function eachAttribute(map: Readonly<Record<string, string>>, event: CloudEvent, test: (value: string, wanted: string) => boolean): boolean {
  return Object.entries(map).every(([name, wanted]) => {
    const value = attributeValue(event, name);
    return value !== undefined && test(value, wanted);
  });
}

const hasEntries = (map: Readonly<Record<string, string>> | undefined): map is Readonly<Record<string, string>> =>
  map !== undefined && Object.keys(map).length > 0;
const hasItems = (list: readonly Filter[] | undefined): list is readonly Filter[] => list !== undefined && list.length > 0;

/** Each dialect: undefined when the filter does not use it, else whether the event passes. */
const DIALECT_TESTS: readonly ((filter: Filter, event: CloudEvent) => boolean | undefined)[] = [
  (f, e) => (hasEntries(f.exact) ? eachAttribute(f.exact, e, (value, wanted) => value === wanted) : undefined),
  (f, e) => (hasEntries(f.prefix) ? eachAttribute(f.prefix, e, (value, wanted) => value.startsWith(wanted)) : undefined),
  (f, e) => (hasEntries(f.suffix) ? eachAttribute(f.suffix, e, (value, wanted) => value.endsWith(wanted)) : undefined),
  (f, e) => (hasItems(f.all) ? f.all.every((inner) => filterMatches(inner, e)) : undefined),
  (f, e) => (hasItems(f.any) ? f.any.some((inner) => filterMatches(inner, e)) : undefined),
  (f, e) => (f.not === undefined ? undefined : !filterMatches(f.not, e)),
];

/** One subscriptions-API filter; a filter with no dialect set matches everything. */
export function filterMatches(filter: Filter, event: CloudEvent): boolean {
  for (const test of DIALECT_TESTS) {
    const result = test(filter, event);
    if (result !== undefined) return result;
  }
  return true;
}

/** `spec.filter.attributes`: every attribute present and equal (an empty value matches any value). */
export function attributesMatch(attributes: Readonly<Record<string, string>>, event: CloudEvent): boolean {
  return eachAttribute(attributes, event, (value, wanted) => wanted === '' || value === wanted);
}

/** Whether a Trigger takes the event. */
export function triggerMatches(trigger: Trigger, event: CloudEvent): boolean {
  const { filters, filter } = trigger.spec;
  if (filters !== undefined && filters.length > 0) return filters.every((inner) => filterMatches(inner, event));
  return attributesMatch(filter?.attributes ?? {}, event);
}
