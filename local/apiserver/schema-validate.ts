/**
 * Validation of a (pruned, defaulted) custom resource against its structural schema, with the checks,
 * field paths and messages of kube-apiserver (kube-openapi's validator, then the
 * `x-kubernetes-list-type` checks). CEL rules (`x-kubernetes-validations`) are not evaluated.
 */
import type { Cause, SchemaNode } from './schema-node.js';
import {
  additionalOf,
  childPath,
  duplicate,
  indexPath,
  invalid,
  isIntOrString,
  isNullable,
  isRecord,
  itemsOf,
  jsonTypeOf,
  notSupported,
  propertiesOf,
  required,
  tooLong,
  tooMany,
  typeInvalid,
} from './schema-node.js';
import { validateComposition } from './schema-composition.js';
import { checkFormat } from './schema-format.js';

export interface Findings {
  /** Schema violations, in the order the validator meets them. */
  causes: Cause[];
  /** List-type (`map`/`set`) violations, which kube-apiserver reports after the schema violations. */
  listCauses: Cause[];
}

export const newFindings = (): Findings => ({ causes: [], listCauses: [] });

/** Fields of the object root that are not checked against the schema (`metadata` is ObjectMeta). */
const ROOT_FIELDS_NOT_IN_SCHEMA: ReadonlySet<string> = new Set(['metadata']);

/** Validates one value; the object root is the value at the empty path. */
export function validateValue(value: unknown, schema: SchemaNode, path: string, findings: Findings): void {
  if (value === null || value === undefined) {
    validateNull(schema, path, findings);
    return;
  }
  if (!checkType(value, schema, path, findings)) return;
  validateComposition({ value, path, findings, validate: validateValue }, schema);
  if (typeof value === 'string') validateString(value, schema, path, findings);
  else if (typeof value === 'number') validateNumber(value, schema, path, findings);
  else if (Array.isArray(value)) validateArray(value, schema, path, findings);
  validateEnum(value, schema, path, findings);
  if (isRecord(value)) validateObject(value, schema, path, findings);
}

function expectedType(schema: SchemaNode): string | undefined {
  if (isIntOrString(schema)) return 'integer,string';
  return typeof schema.type === 'string' && schema.type !== '' ? schema.type : undefined;
}

function typeMatches(expected: string, actual: string): boolean {
  if (expected === 'integer,string') return actual === 'integer' || actual === 'string';
  return expected === actual || (expected === 'number' && actual === 'integer');
}

function typeCause(path: string, expected: string, actual: string): Cause {
  return typeInvalid(path, actual, `${path} in body must be of type ${expected}: ${JSON.stringify(actual)}`);
}

function validateNull(schema: SchemaNode, path: string, findings: Findings): void {
  const expected = expectedType(schema);
  if (expected !== undefined && !isNullable(schema)) findings.causes.push(typeCause(path, expected, 'null'));
}

function checkType(value: unknown, schema: SchemaNode, path: string, findings: Findings): boolean {
  const expected = expectedType(schema);
  const actual = jsonTypeOf(value);
  if (expected === undefined || typeMatches(expected, actual)) return true;
  findings.causes.push(typeCause(path, expected, actual));
  return false;
}

const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

const patterns = new Map<string, RegExp | null>();

/** Go RE2 patterns, compiled as JavaScript regular expressions (the common subset is identical). */
function compilePattern(source: string): RegExp | null {
  let compiled = patterns.get(source);
  if (compiled === undefined) {
    try {
      compiled = new RegExp(source, 'u');
    } catch {
      try {
        compiled = new RegExp(source);
      } catch {
        compiled = null;
      }
    }
    patterns.set(source, compiled);
  }
  return compiled;
}

/** Length in Unicode code points, as Go's `utf8.RuneCountInString`. */
function runeCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit < 0xdc00 || unit > 0xdfff) count += 1;
  }
  return count;
}

function validateLength(value: string, schema: SchemaNode, path: string, findings: Findings): void {
  const length = runeCount(value);
  const maxLength = num(schema.maxLength);
  const minLength = num(schema.minLength);
  if (maxLength !== undefined && length > maxLength) findings.causes.push(tooLong(path, maxLength));
  if (minLength !== undefined && length < minLength) {
    findings.causes.push(invalid(path, value, `${path} in body should be at least ${minLength} chars long`));
  }
}

function validateString(value: string, schema: SchemaNode, path: string, findings: Findings): void {
  validateLength(value, schema, path, findings);
  const source = typeof schema.pattern === 'string' ? schema.pattern : undefined;
  const pattern = source === undefined ? null : compilePattern(source);
  if (pattern !== null && !pattern.test(value)) {
    findings.causes.push(invalid(path, value, `${path} in body should match '${source ?? ''}'`));
  }
  const format = typeof schema.format === 'string' ? schema.format : '';
  if (!checkFormat(format, value)) {
    findings.causes.push(typeInvalid(path, value, `${path} in body must be of type ${format}: ${JSON.stringify(value)}`));
  }
}

type Bound = 'maximum' | 'minimum';

/** The message when `value` breaks the `maximum`/`minimum` bound of `schema`, or undefined. */
function boundProblem(value: number, schema: SchemaNode, bound: Bound): string | undefined {
  const limit = num(schema[bound]);
  if (limit === undefined) return undefined;
  const exclusive = schema[bound === 'maximum' ? 'exclusiveMaximum' : 'exclusiveMinimum'] === true;
  const sign = bound === 'maximum' ? 1 : -1;
  const broken = exclusive ? sign * (value - limit) >= 0 : sign * (value - limit) > 0;
  if (!broken) return undefined;
  return `should be ${bound === 'maximum' ? 'less' : 'greater'} than ${exclusive ? '' : 'or equal to '}${limit}`;
}

function validateNumber(value: number, schema: SchemaNode, path: string, findings: Findings): void {
  for (const bound of ['maximum', 'minimum'] as const) {
    const problem = boundProblem(value, schema, bound);
    if (problem !== undefined) findings.causes.push(invalid(path, value, `${path} in body ${problem}`));
  }
  const multipleOf = num(schema.multipleOf);
  if (multipleOf !== undefined && multipleOf > 0 && !Number.isInteger(value / multipleOf)) {
    findings.causes.push(invalid(path, value, `${path} in body should be a multiple of ${multipleOf}`));
  }
}

function validateArray(value: readonly unknown[], schema: SchemaNode, path: string, findings: Findings): void {
  const maxItems = num(schema.maxItems);
  const minItems = num(schema.minItems);
  if (maxItems !== undefined && value.length > maxItems) findings.causes.push(tooMany(path, value.length, maxItems));
  if (minItems !== undefined && value.length < minItems) {
    findings.causes.push(invalid(path, value.length, `${path} in body should have at least ${minItems} items`));
  }
  const items = itemsOf(schema);
  if (items !== undefined)
    value.forEach((item, index) => {
      validateValue(item, items, indexPath(path, index), findings);
    });
  checkListType(value, schema, path, findings);
}

/** Canonical JSON (sorted keys), for comparing values structurally. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  }
  return value === undefined ? 'null' : JSON.stringify(value);
}

function validateEnum(value: unknown, schema: SchemaNode, path: string, findings: Findings): void {
  if (!Array.isArray(schema.enum) || schema.enum.length === 0) return;
  const wanted = canonical(value);
  if (!schema.enum.some((allowed) => canonical(allowed) === wanted)) findings.causes.push(notSupported(path, value, schema.enum));
}

function validateCounts(value: Readonly<Record<string, unknown>>, schema: SchemaNode, path: string, findings: Findings): void {
  const names = Array.isArray(schema.required) ? schema.required.filter((n): n is string => typeof n === 'string') : [];
  for (const name of names) if (value[name] === undefined) findings.causes.push(required(childPath(path, name)));
  const count = Object.keys(value).length;
  const maxProperties = num(schema.maxProperties);
  const minProperties = num(schema.minProperties);
  if (maxProperties !== undefined && count > maxProperties) findings.causes.push(tooMany(path, count, maxProperties));
  if (minProperties !== undefined && count < minProperties) {
    findings.causes.push(invalid(path, count, `${path} in body should have at least ${minProperties} properties`));
  }
}

function validateObject(value: Readonly<Record<string, unknown>>, schema: SchemaNode, path: string, findings: Findings): void {
  validateCounts(value, schema, path, findings);
  const properties = propertiesOf(schema);
  const additional = additionalOf(schema);
  for (const [key, field] of Object.entries(value)) {
    const property = properties[key] ?? additional;
    const skipped = path === '' && ROOT_FIELDS_NOT_IN_SCHEMA.has(key);
    if (property !== undefined && !skipped) validateValue(field, property, childPath(path, key), findings);
  }
}

function listMapKeys(schema: SchemaNode): string[] {
  const keys = schema['x-kubernetes-list-map-keys'];
  return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : [];
}

/** The key fields of one item of an `x-kubernetes-list-type: map` list (a defaulted key counts). */
function keyOf(item: Readonly<Record<string, unknown>>, keys: readonly string[], items: SchemaNode | undefined): Record<string, unknown> {
  const properties = items === undefined ? {} : propertiesOf(items);
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = key in item ? item[key] : properties[key]?.default;
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function checkListType(value: readonly unknown[], schema: SchemaNode, path: string, findings: Findings): void {
  const listType = schema['x-kubernetes-list-type'];
  if (listType !== 'map' && listType !== 'set') return;
  const keys = listMapKeys(schema);
  const seen = new Set<string>();
  value.forEach((item, index) => {
    if (listType === 'map' && !isRecord(item)) return;
    const identity = listType === 'map' && isRecord(item) ? keyOf(item, keys, itemsOf(schema)) : item;
    const signature = canonical(identity);
    if (seen.has(signature)) findings.listCauses.push(duplicate(indexPath(path, index), identity));
    seen.add(signature);
  });
}
