/**
 * Label selectors (`=`, `==`, `!=`, `in`, `notin`, `key`, `!key`, and `>`/`<` on integers) and field
 * selectors (`=`, `==`, `!=`). Field selectors read any dotted path of the object (`metadata.name`,
 * `status.phase`, `involvedObject.name`) — a superset of what a real server allows per type.
 */
import { badRequest } from './errors.js';
import { readPath } from './json.js';
import type { KubeObject } from './types.js';

export type Selector = (object: KubeObject) => boolean;

const KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const always: Selector = () => true;

/** Splits on commas outside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

function checkKey(key: string, requirement: string): void {
  if (!KEY.test(key) || key.length > 316) throw badRequest(`unable to parse requirement: invalid label key "${key}" in "${requirement}"`);
}

function checkValue(value: string, requirement: string): void {
  if (!VALUE.test(value) || value.length > 63) throw badRequest(`unable to parse requirement: invalid label value "${value}" in "${requirement}"`);
}

const labelOf = (object: KubeObject, key: string): string | undefined => object.metadata.labels?.[key];

function setRequirement(key: string, operator: string, values: string[]): Selector {
  if (operator === 'in') return (o) => values.includes(labelOf(o, key) ?? '\u0000');
  return (o) => !values.includes(labelOf(o, key) ?? '\u0000');
}

function compareRequirement(key: string, operator: string, value: string, requirement: string): Selector {
  if (operator === '=' || operator === '==') return (o) => labelOf(o, key) === value;
  if (operator === '!=') return (o) => labelOf(o, key) !== value;
  const bound = Number(value);
  if (!Number.isInteger(bound)) throw badRequest(`unable to parse requirement: for '${operator}' operator, the value must be an integer in "${requirement}"`);
  return (o) => {
    const label = Number(labelOf(o, key));
    return Number.isInteger(label) && (operator === '>' ? label > bound : label < bound);
  };
}

function setForm(requirement: string): Selector | undefined {
  const match = /^([^\s=!<>(),]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(requirement);
  if (match === null) return undefined;
  const [, key = '', operator = '', list = ''] = match;
  checkKey(key, requirement);
  const values = list
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  for (const value of values) checkValue(value, requirement);
  return setRequirement(key, operator, values);
}

function compareForm(requirement: string): Selector | undefined {
  const match = /^([^\s=!<>(),]+)\s*(==|=|!=|>|<)\s*([^\s=!<>(),]*)$/.exec(requirement);
  if (match === null) return undefined;
  const [, key = '', operator = '', value = ''] = match;
  checkKey(key, requirement);
  checkValue(value, requirement);
  return compareRequirement(key, operator, value, requirement);
}

function existsForm(requirement: string): Selector | undefined {
  const match = /^(!?)\s*([^\s=!<>(),]+)$/.exec(requirement);
  if (match === null) return undefined;
  const [, not = '', key = ''] = match;
  checkKey(key, requirement);
  return not === '' ? (o) => labelOf(o, key) !== undefined : (o) => labelOf(o, key) === undefined;
}

function labelRequirement(requirement: string): Selector {
  const selector = setForm(requirement) ?? compareForm(requirement) ?? existsForm(requirement);
  if (selector === undefined) throw badRequest(`unable to parse requirement: "${requirement}" is not a valid label selector requirement`);
  return selector;
}

export function parseLabelSelector(text: string | null): Selector {
  if (text === null || text.trim() === '') return always;
  const requirements = splitTopLevel(text).map(labelRequirement);
  return (object) => requirements.every((matches) => matches(object));
}

/** Splits on commas not preceded by a backslash and unescapes `\,`, `\=` and `\\`. */
function splitEscaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i] ?? '';
    if (char === '\\' && i + 1 < text.length) {
      current += text[i + 1] ?? '';
      i += 1;
    } else if (char === separator) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}

const fieldValue = (object: KubeObject, path: string): string => {
  const value = readPath(object, path);
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
};

function fieldRequirement(requirement: string): Selector {
  const match = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/s.exec(requirement);
  if (match === null) throw badRequest(`invalid field selector: "${requirement}": expected key=value, key==value or key!=value`);
  const [, path = '', operator = '', value = ''] = match;
  if (!/^[A-Za-z0-9_.-]+$/.test(path)) throw badRequest(`invalid field selector: "${path}" is not a field path`);
  return operator === '!=' ? (o) => fieldValue(o, path) !== value : (o) => fieldValue(o, path) === value;
}

export function parseFieldSelector(text: string | null): Selector {
  if (text === null || text.trim() === '') return always;
  const requirements = splitEscaped(text, ',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map(fieldRequirement);
  return (object) => requirements.every((matches) => matches(object));
}
