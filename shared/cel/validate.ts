/**
 * CRD validation rules (`x-kubernetes-validations`) evaluated as kube-apiserver evaluates them: every
 * rule of every schema node the object has a value for, `self` bound to that value and, on an update,
 * `oldSelf` to the stored value at the same place (a rule that reads `oldSelf` runs only then). A
 * value left as it was is not checked again (validation ratcheting, on by default since 1.30). The
 * failures come back as field errors — path, reason, detail — which the local API server turns into
 * its 422 `Invalid` and `drplan lint` prints. Used with our own CRDs, whose rules are in shared/api/rules.ts.
 */
import { isDeepStrictEqual } from 'node:util';
import { parse } from '@marcbachmann/cel-js';
import type { CelRule } from '../api/rules.js';
import { RULES_KEY } from '../api/rules.js';
import { isRecord } from '../type-utils.js';

export interface RuleFailure {
  /** The field the failure is reported on (`spec.actions[0].http`). */
  field: string;
  reason: NonNullable<CelRule['reason']>;
  /** The rule's message (or its messageExpression's value, or "failed rule: <rule>"). */
  detail: string;
  /** The JSON type of the value the rule was on (`object`, `string`): kube-apiserver's "Invalid value". */
  type: string;
}

type Schema = Record<string, unknown>;
type Program = (context: Record<string, unknown>) => unknown;

const compiled = new Map<string, Program>();

/** The rule compiled once (a rule that does not compile is a defect of the CRD: it throws, naming the rule). */
export function compileRule(rule: string): Program {
  let program = compiled.get(rule);
  if (program === undefined) {
    const parsed = parse(rule);
    program = (context) => parsed(context);
    compiled.set(rule, program);
  }
  return program;
}

const rulesOf = (schema: Schema): CelRule[] => (Array.isArray(schema[RULES_KEY]) ? (schema[RULES_KEY] as CelRule[]) : []);
const readsOldSelf = (rule: string): boolean => /\boldSelf\b/.test(rule);
const jsonType = (value: unknown): string => (Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value === 'object' ? 'object' : typeof value);

interface Place {
  path: string;
  value: unknown;
  /** The stored value at the same place, on an update; undefined on a create or where nothing was. */
  old: unknown;
  /** An update: `old` is meaningful (absent there means the value is new). */
  update: boolean;
}

function messageOf(rule: CelRule, context: Record<string, unknown>): string {
  if (rule.messageExpression !== undefined) {
    try {
      const text = compileRule(rule.messageExpression)(context);
      if (typeof text === 'string' && text.trim() !== '') return text;
    } catch {
      // kube-apiserver falls back to the message when the expression fails
    }
  }
  return rule.message ?? `failed rule: ${rule.rule}`;
}

/** The rule's value, or a failure when its evaluation errs (a missing field, a bad duration). */
function run(rule: CelRule, place: Place, context: Record<string, unknown>): { value: unknown } | RuleFailure {
  try {
    return { value: compileRule(rule.rule)(context) };
  } catch (error: unknown) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'error';
    return { field: place.path, reason: 'FieldValueInvalid', detail: `rule evaluation failed (${reason}): ${rule.rule}`, type: jsonType(place.value) };
  }
}

function evaluateRule(rule: CelRule, place: Place): RuleFailure | undefined {
  const transition = readsOldSelf(rule.rule);
  if (transition && (!place.update || place.old === undefined)) return undefined;
  const context = transition ? { self: place.value, oldSelf: place.old } : { self: place.value };
  const outcome = run(rule, place, context);
  if (!('value' in outcome)) return outcome;
  if (outcome.value === true) return undefined;
  const field = rule.fieldPath === undefined ? place.path : `${place.path}${rule.fieldPath}`.replace(/^\./, '');
  return { field, reason: rule.reason ?? 'FieldValueInvalid', detail: messageOf(rule, context), type: jsonType(place.value) };
}

const childPath = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);

/** The stored list item that corresponds to `item`: by its keys for a list-type map, by index otherwise. */
function correlated(schema: Schema, item: unknown, index: number, oldList: unknown): unknown {
  if (!Array.isArray(oldList)) return undefined;
  const keys = schema['x-kubernetes-list-map-keys'];
  if (schema['x-kubernetes-list-type'] !== 'map' || !Array.isArray(keys) || !isRecord(item))
    return schema['x-kubernetes-list-type'] === 'map' ? undefined : oldList[index];
  return oldList.find((candidate) => isRecord(candidate) && keys.every((key: unknown) => typeof key === 'string' && candidate[key] === item[key]));
}

function walkItems(schema: Schema, list: readonly unknown[], place: Place, failures: RuleFailure[]): void {
  if (!isRecord(schema.items)) return;
  const items = schema.items;
  list.forEach((item, index) => {
    walk(items, { path: `${place.path}[${index}]`, value: item, old: correlated(schema, item, index, place.old), update: place.update }, failures);
  });
}

function walkProperties(schema: Schema, value: Record<string, unknown>, place: Place, failures: RuleFailure[]): void {
  const properties = isRecord(schema.properties) ? schema.properties : {};
  const additional = isRecord(schema.additionalProperties) ? schema.additionalProperties : undefined;
  const old = isRecord(place.old) ? place.old : undefined;
  for (const [name, child] of Object.entries(value)) {
    const node = name in properties ? properties[name] : additional;
    if (!isRecord(node)) continue;
    walk(node, { path: childPath(place.path, name), value: child, old: old?.[name], update: place.update }, failures);
  }
}

function walkChildren(schema: Schema, place: Place, failures: RuleFailure[]): void {
  if (Array.isArray(place.value)) walkItems(schema, place.value, place, failures);
  else if (isRecord(place.value)) walkProperties(schema, place.value, place, failures);
}

function walk(schema: Schema, place: Place, failures: RuleFailure[]): void {
  if (place.value === undefined || place.value === null) return;
  // ratcheting: a value the update leaves as it was is not checked again
  if (place.update && place.old !== undefined && isDeepStrictEqual(place.value, place.old)) return;
  for (const rule of rulesOf(schema)) {
    const failure = evaluateRule(rule, place);
    if (failure !== undefined) failures.push(failure);
  }
  walkChildren(schema, place, failures);
}

/**
 * The rule failures of `object` (a whole custom resource, as it would be stored) against `schema` (its
 * CRD version's `openAPIV3Schema`); `old` is the stored object on an update. Empty when every rule holds.
 */
export function ruleFailures(schema: unknown, object: unknown, old?: unknown): RuleFailure[] {
  if (!isRecord(schema)) return [];
  const failures: RuleFailure[] = [];
  walk(schema, { path: '', value: object, old, update: old !== undefined }, failures);
  return failures;
}

/** A failure as kube-apiserver words a field error: `Invalid value: "object": <detail>`, `Required value: <detail>`. */
export function describeFailure(failure: RuleFailure): string {
  switch (failure.reason) {
    case 'FieldValueRequired':
      return `Required value: ${failure.detail}`;
    case 'FieldValueForbidden':
      return `Forbidden: ${failure.detail}`;
    case 'FieldValueDuplicate':
      return `Duplicate value: ${failure.detail}`;
    default:
      return `Invalid value: ${JSON.stringify(failure.type)}: ${failure.detail}`;
  }
}
