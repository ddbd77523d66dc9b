/**
 * Reading a CRD's structural schema (a plain JSON object) and reporting problems the way
 * kube-apiserver does: `metav1.StatusCause`s whose `reason` is the field error type
 * (`FieldValueRequired`, ...) and whose `message` is Go's `field.Error.ErrorBody()`.
 */
import { isRecord } from '../../shared/type-utils.js';

export { isRecord };

/** One node of an `openAPIV3Schema`. */
export type SchemaNode = Readonly<Record<string, unknown>>;

export interface Cause {
  reason: string;
  message: string;
  field: string;
}

export const asSchema = (value: unknown): SchemaNode | undefined => (isRecord(value) ? value : undefined);

export function propertiesOf(schema: SchemaNode): Readonly<Record<string, SchemaNode>> {
  const properties = schema.properties;
  if (!isRecord(properties)) return {};
  const out: Record<string, SchemaNode> = {};
  for (const [name, node] of Object.entries(properties)) {
    if (isRecord(node)) out[name] = node;
  }
  return out;
}

export const itemsOf = (schema: SchemaNode): SchemaNode | undefined => asSchema(schema.items);

/** The schema of a map's values (`additionalProperties: {...}`), if the node is a schema-valued map. */
export const additionalOf = (schema: SchemaNode): SchemaNode | undefined => asSchema(schema.additionalProperties);

export const schemasOf = (value: unknown): SchemaNode[] => (Array.isArray(value) ? value.filter(isRecord) : []);

/** Unknown fields under this node are kept (`x-kubernetes-preserve-unknown-fields` or `additionalProperties: true`). */
export const preservesUnknown = (schema: SchemaNode): boolean =>
  schema['x-kubernetes-preserve-unknown-fields'] === true || schema.additionalProperties === true;

export const isEmbeddedResource = (schema: SchemaNode): boolean => schema['x-kubernetes-embedded-resource'] === true;

export const isIntOrString = (schema: SchemaNode): boolean => schema['x-kubernetes-int-or-string'] === true;

export const isNullable = (schema: SchemaNode | undefined): boolean => schema?.nullable === true;

/** `spec` + `stages` → `spec.stages`; the root has the empty path. */
export const childPath = (parent: string, key: string): string => (parent === '' ? key : `${parent}.${key}`);

export const indexPath = (parent: string, index: number): string => `${parent}[${index}]`;

/** The JSON type name go-openapi reports for a value (`integer` for whole numbers). */
export function jsonTypeOf(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'boolean') return 'boolean';
  return typeof value === 'string' ? 'string' : 'object';
}

/** Go's `%#v` of a decoded JSON value, as field errors print values that are not scalars. */
export function goSyntax(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[]interface {}{${value.map(goSyntax).join(', ')}}`;
  if (!isRecord(value)) return 'interface {}(nil)';
  const entries = Object.keys(value)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${goSyntax(value[key])}`);
  return `map[string]interface {}{${entries.join(', ')}}`;
}

/** A bad value as `field.Error` prints it: `%q` for strings, `%v` for scalars, `null` for nil. */
function shown(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  return typeof value === 'string' ? JSON.stringify(value) : goSyntax(value);
}

const OMIT = Symbol('omit');

/** `field.Error.ErrorBody()`: `<Type>: <value>: <detail>`, the value as Go prints it (`%q` for strings). */
function body(type: string, value: unknown, detail: string): string {
  const text = value === OMIT ? type : `${type}: ${shown(value)}`;
  return detail === '' ? text : `${text}: ${detail}`;
}

export const required = (field: string, detail = ''): Cause => ({
  reason: 'FieldValueRequired',
  message: body('Required value', OMIT, detail),
  field,
});

export const invalid = (field: string, value: unknown, detail: string): Cause => ({
  reason: 'FieldValueInvalid',
  message: body('Invalid value', value, detail),
  field,
});

export const typeInvalid = (field: string, value: unknown, detail: string): Cause => ({
  reason: 'FieldValueTypeInvalid',
  message: body('Invalid value', value, detail),
  field,
});

export const notSupported = (field: string, value: unknown, allowed: readonly unknown[]): Cause => {
  const quoted = allowed.map((v) => JSON.stringify(typeof v === 'string' ? v : JSON.stringify(v)));
  return {
    reason: 'FieldValueNotSupported',
    message: body('Unsupported value', value, quoted.length === 0 ? '' : `supported values: ${quoted.join(', ')}`),
    field,
  };
};

export const tooLong = (field: string, max: number): Cause => ({
  reason: 'FieldValueTooLong',
  message: body('Too long', OMIT, `may not be more than ${max} ${max === 1 ? 'byte' : 'bytes'}`),
  field,
});

export const tooMany = (field: string, actual: number, max: number): Cause => ({
  reason: 'FieldValueTooMany',
  message: body('Too many', actual, `must have at most ${max} ${max === 1 ? 'item' : 'items'}`),
  field,
});

export const duplicate = (field: string, value: unknown): Cause => ({
  reason: 'FieldValueDuplicate',
  message: body('Duplicate value', value, ''),
  field,
});
