/**
 * The JSONPath subset printer columns use (kubectl / client-go `jsonpath`): `.a.b`, `['a.b']`,
 * `[0]`, `[-1]`, `[*]`, `.*`, and filters `[?(@.type=="Ready")]` (`==`, `!=`, or bare existence).
 * Evaluation yields every match in document order; a missing key yields nothing (kube-apiserver sets
 * `AllowMissingKeys(true)` for printer columns).
 */
import { isRecord } from './schema-node.js';

type Filter = { path: Step[]; op: '==' | '!=' | 'exists'; value: unknown };
type Step = { kind: 'field'; name: string } | { kind: 'index'; index: number } | { kind: 'wildcard' } | { kind: 'filter'; filter: Filter };

const cache = new Map<string, Step[] | null>();

/** Reads one `.name` segment (a `\.` escapes a dot), returning it and where it ends. */
function readName(text: string, start: number): [string, number] {
  let name = '';
  let i = start;
  while (i < text.length && text[i] !== '.' && text[i] !== '[') {
    if (text[i] === '\\' && i + 1 < text.length) i += 1;
    name += text[i] ?? '';
    i += 1;
  }
  return [name, i];
}

function parseLiteral(text: string): unknown {
  const trimmed = text.trim();
  if (/^(['"]).*\1$/.test(trimmed)) return trimmed.slice(1, -1);
  if (trimmed === 'true' || trimmed === 'false') return trimmed === 'true';
  const number = Number(trimmed);
  return trimmed !== '' && Number.isFinite(number) ? number : trimmed;
}

function parseFilter(body: string): Filter | null {
  const match = /^\?\(@(.*?)(?:\s*(==|!=)\s*(.+))?\)$/.exec(body.trim());
  if (match === null) return null;
  const path = parseSteps(match[1] ?? '');
  if (path === null) return null;
  const op = match[2] === '==' || match[2] === '!=' ? match[2] : 'exists';
  return { path, op, value: op === 'exists' ? undefined : parseLiteral(match[3] ?? '') };
}

function parseBracket(body: string): Step | null {
  const trimmed = body.trim();
  if (trimmed === '*') return { kind: 'wildcard' };
  if (/^-?\d+$/.test(trimmed)) return { kind: 'index', index: Number(trimmed) };
  if (/^(['"]).*\1$/.test(trimmed)) return { kind: 'field', name: trimmed.slice(1, -1) };
  const filter = trimmed.startsWith('?') ? parseFilter(trimmed) : null;
  return filter === null ? null : { kind: 'filter', filter };
}

/** The end of the bracket that opens at `start`, skipping brackets and quotes nested in filters. */
function closingBracket(text: string, start: number): number {
  let depth = 0;
  let quote = '';
  for (let i = start; i < text.length; i += 1) {
    const ch = text[i] ?? '';
    if (quote !== '') quote = ch === quote ? '' : quote;
    else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[') depth += 1;
    else if (ch === ']' && --depth === 0) return i;
  }
  return -1;
}

function parseSteps(text: string): Step[] | null {
  const steps: Step[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '[') {
      const end = closingBracket(text, i);
      const step = end < 0 ? null : parseBracket(text.slice(i + 1, end));
      if (step === null) return null;
      steps.push(step);
      i = end + 1;
    } else if (text[i] === '.') {
      const [name, next] = readName(text, i + 1);
      if (name !== '') steps.push(name === '*' ? { kind: 'wildcard' } : { kind: 'field', name });
      i = next;
    } else return null;
  }
  return steps;
}

/** Parses a printer-column JSONPath (`.status.phase` or `{.status.phase}`); null when unsupported. */
export function parseJsonPath(expression: string): Step[] | null {
  let steps = cache.get(expression);
  if (steps === undefined) {
    const text = expression
      .trim()
      .replace(/^\{(.*)\}$/s, '$1')
      .trim();
    steps = text.startsWith('.') || text.startsWith('[') ? parseSteps(text) : null;
    cache.set(expression, steps);
  }
  return steps;
}

function matchesFilter(item: unknown, filter: Filter): boolean {
  const found = walk([item], filter.path);
  if (filter.op === 'exists') return found.length > 0;
  const equal = found.some((value) => value === filter.value);
  return filter.op === '==' ? equal : !equal && found.length > 0;
}

function children(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return isRecord(value)
    ? Object.keys(value)
        .sort()
        .map((key) => value[key])
    : [];
}

function apply(value: unknown, step: Step): unknown[] {
  switch (step.kind) {
    case 'field':
      return isRecord(value) && value[step.name] !== undefined ? [value[step.name]] : [];
    case 'index': {
      if (!Array.isArray(value)) return [];
      const item: unknown = value[step.index < 0 ? value.length + step.index : step.index];
      return item === undefined ? [] : [item];
    }
    case 'wildcard':
      return children(value);
    case 'filter':
      return children(value).filter((item) => matchesFilter(item, step.filter));
  }
}

function walk(values: unknown[], steps: readonly Step[]): unknown[] {
  return steps.reduce<unknown[]>((current, step) => current.flatMap((value) => apply(value, step)), values);
}

/** Every value `expression` selects in `object`, in document order (empty when none or unparsable). */
export function evaluateJsonPath(object: unknown, expression: string): unknown[] {
  const steps = parseJsonPath(expression);
  return steps === null ? [] : walk([object], steps);
}
