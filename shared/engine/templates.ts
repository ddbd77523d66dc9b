/**
 * Template placeholders: `{{ .params.name }}` / `{{ .planName }}` (Go-template style, whitespace inside
 * the braces optional) and `$(params.name)` / `$(planName)` (Tekton style). Nothing else is a
 * placeholder: Helm (`{{ .Values.x }}`, `{{ include "x" . }}`) and shell (`$(date)`) text is left alone.
 *
 * Rendering never writes `<no value>`: a name with no value is collected in `missing` and its
 * placeholder is left as written, so the caller can report it.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Document, Node, Scalar } from 'yaml';
import { isNode, isScalar, visit } from 'yaml';
import { parseYamlStream } from '../yaml.js';
import { findLookalikes } from './lookalikes.js';
import { coerceParam } from './params.js';
import { formatPath } from './problems.js';
import { isRecord } from '../type-utils.js';

/** The names every template can use besides its parameters. */
export const BUILTINS = ['planName', 'planNamespace', 'executionName', 'namespace'] as const;
export type Builtin = (typeof BUILTINS)[number];

export interface Placeholder {
  raw: string;
  kind: 'param' | 'builtin';
  name: string;
  index: number;
}

export interface TemplateContext {
  params: Readonly<Record<string, string>>;
  builtins: Readonly<Record<string, string>>;
  /** Declared parameter types; used by `renderManifest` to type unquoted scalars. */
  types?: Readonly<Record<string, 'string' | 'number' | 'boolean'>>;
}

const NAME = '[A-Za-z_][A-Za-z0-9_-]*';
const BUILTIN_NAMES = BUILTINS.join('|');
const PLACEHOLDER_SOURCE =
  `\\{\\{[ \\t]*\\.(?:params\\.(?<goParam>${NAME})|(?<goBuiltin>${BUILTIN_NAMES}))[ \\t]*\\}\\}` +
  `|\\$\\((?:params\\.(?<dollarParam>${NAME})|(?<dollarBuiltin>${BUILTIN_NAMES}))\\)`;

/** A fresh global regex each time: a shared `g` regex carries `lastIndex` between callers. */
const placeholderPattern = (): RegExp => new RegExp(PLACEHOLDER_SOURCE, 'g');

function toPlaceholder(match: RegExpExecArray): Placeholder {
  const groups = match.groups ?? {};
  const param = groups.goParam ?? groups.dollarParam;
  const builtin = groups.goBuiltin ?? groups.dollarBuiltin ?? '';
  return param === undefined
    ? { raw: match[0], kind: 'builtin', name: builtin, index: match.index }
    : { raw: match[0], kind: 'param', name: param, index: match.index };
}

/** Every placeholder in `text`, in order of appearance. */
export function findPlaceholders(text: string): Placeholder[] {
  return [...text.matchAll(placeholderPattern())].map(toPlaceholder);
}

/**
 * Text that looks like a parameter reference but is not a placeholder this engine substitutes, such as
 * `{{ .params.x | quote }}` or `$(params.a.b)`. Left alone by rendering, so worth reporting: otherwise it
 * would reach the target verbatim.
 */
export function findUnsupportedReferences(text: string): Array<{ raw: string; index: number }> {
  const exact = new RegExp(`^(?:${PLACEHOLDER_SOURCE})$`);
  return findLookalikes(text).filter((found) => !exact.test(found.raw));
}

/** The value of a placeholder in a context, or `undefined` when the context has none. */
export function lookup(placeholder: Placeholder, context: TemplateContext): string | undefined {
  const table = placeholder.kind === 'param' ? context.params : context.builtins;
  return Object.hasOwn(table, placeholder.name) ? table[placeholder.name] : undefined;
}

/** Substitutes every placeholder of one string; names with no value go into `missing`. */
export function renderString(text: string, context: TemplateContext, missing: Set<string>): string {
  let out = '';
  let last = 0;
  for (const placeholder of findPlaceholders(text)) {
    const value = lookup(placeholder, context);
    if (value === undefined) missing.add(placeholder.name);
    out += text.slice(last, placeholder.index) + (value ?? placeholder.raw);
    last = placeholder.index + placeholder.raw.length;
  }
  return out + text.slice(last);
}

/**
 * Calls `visit` with every string of a JSON-like value (object keys included) and its path. A key's
 * path is the path of its entry.
 */
function walkStrings(value: unknown, path: string, visit: (text: string, path: string) => void): void {
  if (typeof value === 'string') {
    visit(value, path);
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => {
      walkStrings(item, `${path}[${index}]`, visit);
    });
  } else if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) {
      const itemPath = formatPath([key], path);
      visit(key, itemPath);
      walkStrings(item, itemPath, visit);
    }
  }
}

/** Walks any JSON-like value; path uses the given prefix, e.g. `spec.actions[2].http.url`. */
export function collectPlaceholders(value: unknown, path: string): Array<{ path: string; placeholder: Placeholder }> {
  const found: Array<{ path: string; placeholder: Placeholder }> = [];
  walkStrings(value, path, (text, at) => {
    for (const placeholder of findPlaceholders(text)) found.push({ path: at, placeholder });
  });
  return found;
}

/** Like `collectPlaceholders`, for look-alikes that are not substituted (see `findUnsupportedReferences`). */
export function collectUnsupportedReferences(value: unknown, path: string): Array<{ path: string; raw: string }> {
  const found: Array<{ path: string; raw: string }> = [];
  walkStrings(value, path, (text, at) => {
    for (const { raw } of findUnsupportedReferences(text)) found.push({ path: at, raw });
  });
  return found;
}

function renderNode(value: unknown, context: TemplateContext, missing: Set<string>): unknown {
  if (typeof value === 'string') return renderString(value, context, missing);
  if (Array.isArray(value)) return value.map((item) => renderNode(item, context, missing));
  if (!isRecord(value)) return value;
  // fromEntries defines own properties: a key such as "__proto__" stays a key, never the prototype
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [renderString(key, context, missing), renderNode(item, context, missing)]));
}

/**
 * Substitutes into every string of a JSON-like value (object keys included); numbers, booleans and null
 * pass through. Strings stay strings whatever the parameter's type: the action schema decides what a
 * field holds. Missing names are collected, never rendered as `<no value>`.
 */
export function renderValue(value: unknown, context: TemplateContext): { value: unknown; missing: string[] } {
  const missing = new Set<string>();
  const rendered = renderNode(value, context, missing);
  return { value: rendered, missing: [...missing] };
}

// ── Manifests ──────────────────────────────────────────────────────────────────────────────────────
// Placeholders are swapped for inert tokens, the YAML is parsed, and the values go into the parsed
// scalars; so a value can never add structure (`"a\nkind: Secret"` stays one string).

interface Masked {
  text: string;
  /** Token `n` stands for `placeholders[n]`. */
  placeholders: Placeholder[];
  prefix: string;
  token: RegExp;
}

/**
 * A token prefix found neither in the manifest nor in any value. It starts with `Qk`, which no YAML
 * escape sequence produces, so it cannot appear in the output by accident either.
 */
function tokenPrefix(manifest: string, context: TemplateContext): string {
  const values = [...Object.values(context.params), ...Object.values(context.builtins)];
  for (let n = 0; ; n++) {
    const prefix = `Qkdrplan${n}z`;
    if (!manifest.includes(prefix) && !values.some((v) => v.includes(prefix))) return prefix;
  }
}

function mask(manifest: string, context: TemplateContext): Masked {
  const prefix = tokenPrefix(manifest, context);
  const placeholders = findPlaceholders(manifest);
  let text = '';
  let last = 0;
  placeholders.forEach((placeholder, n) => {
    text += `${manifest.slice(last, placeholder.index)}${prefix}${n}_`;
    last = placeholder.index + placeholder.raw.length;
  });
  return { text: text + manifest.slice(last), placeholders, prefix, token: new RegExp(`${prefix}(\\d+)_`, 'g') };
}

const unmask = (text: string, masked: Masked): string => text.replace(masked.token, (token, n: string) => masked.placeholders[Number(n)]?.raw ?? token);

interface Substitution {
  masked: Masked;
  context: TemplateContext;
  missing: Set<string>;
  /** The string scalars that received values, in case they have to be written quoted. */
  substituted: Scalar[];
}

/** The parameter placeholder an unquoted, untagged scalar consists of, if it is exactly one. */
function soleParam(node: Scalar, masked: Masked): Placeholder | undefined {
  if (node.type !== 'PLAIN' || node.tag !== undefined || typeof node.value !== 'string') return undefined;
  const match = new RegExp(`^${masked.token.source}$`).exec(node.value);
  const placeholder = match === null ? undefined : masked.placeholders[Number(match[1])];
  return placeholder?.kind === 'param' ? placeholder : undefined;
}

/** A number or boolean for an unquoted, untagged scalar that is exactly one typed parameter's token. */
function typedValue(node: Scalar, sub: Substitution): number | boolean | undefined {
  const placeholder = soleParam(node, sub.masked);
  if (placeholder === undefined) return undefined;
  const type = sub.context.types?.[placeholder.name];
  const value = lookup(placeholder, sub.context);
  if (value === undefined || (type !== 'number' && type !== 'boolean')) return undefined;
  const coerced = coerceParam(value, type);
  if (!coerced.ok) return undefined;
  return type === 'number' ? Number(coerced.value) : coerced.value === 'true';
}

function substitute(text: string, sub: Substitution): string {
  return text.replace(sub.masked.token, (token, n: string) => {
    const placeholder = sub.masked.placeholders[Number(n)];
    if (placeholder === undefined) return token;
    const value = lookup(placeholder, sub.context);
    if (value === undefined) sub.missing.add(placeholder.name);
    return value ?? placeholder.raw;
  });
}

function substituteScalar(node: Scalar, isKey: boolean, sub: Substitution): void {
  if (typeof node.value !== 'string' || !node.value.includes(sub.masked.prefix)) return;
  const typed = isKey ? undefined : typedValue(node, sub);
  if (typed !== undefined) {
    node.value = typed;
    return;
  }
  node.value = substitute(node.value, sub);
  sub.substituted.push(node);
  // A substituted plain scalar is quoted, so no YAML reader (1.1 or 1.2) can take it for another type.
  if (node.type === 'PLAIN') node.type = 'QUOTE_DOUBLE';
}

/** Comments are not rendered: a placeholder in a comment is put back as written. */
function restoreComments(node: Node | Document, masked: Masked): void {
  if (node.commentBefore) node.commentBefore = unmask(node.commentBefore, masked);
  if (node.comment) node.comment = unmask(node.comment, masked);
}

function renderDocument(doc: Document, sub: Substitution): void {
  restoreComments(doc, sub.masked);
  visit(doc, (key, node) => {
    if (isScalar(node)) substituteScalar(node, key === 'key', sub);
    if (isNode(node)) restoreComments(node, sub.masked);
  });
}

function write(docs: readonly Document[], masked: Masked): string {
  const text = docs
    .map((doc, n) => {
      const out = doc.toString({ lineWidth: 0 });
      return n > 0 && !/^(?:---|%)/.test(out) ? `---\n${out}` : out;
    })
    .join('');
  const leftover = new RegExp(masked.token.source).exec(text);
  if (leftover !== null) {
    throw new Error(`manifest: ${unmask(leftover[0], masked)} is not inside a YAML value or key; placeholders are only substituted there`);
  }
  return text;
}

/** The documents' values, empty (null) documents left out. */
const values = (docs: readonly Document[]): unknown[] => docs.map((doc): unknown => doc.toJS()).filter((value) => value !== null && value !== undefined);

function faithful(text: string, expected: readonly unknown[]): boolean {
  const docs = parseYamlStream(text);
  return docs.every((doc) => doc.errors.length === 0) && isDeepStrictEqual(values(docs), expected);
}

/**
 * The rendered text, checked by reading it back. The YAML writer keeps each scalar's style, and a value
 * that a block scalar cannot hold (e.g. a line of only spaces first) would come back different; then
 * every substituted scalar is written double-quoted, which holds any string.
 */
function serialise(docs: readonly Document[], sub: Substitution, expected: readonly unknown[]): string {
  const text = write(docs, sub.masked);
  if (faithful(text, expected)) return text;
  for (const node of sub.substituted) node.type = 'QUOTE_DOUBLE';
  const quoted = write(docs, sub.masked);
  if (faithful(quoted, expected)) return quoted;
  throw new Error('manifest: the rendered values cannot be written back as YAML that reads the same (does a substituted key repeat another key?)');
}

/**
 * Renders a YAML manifest (one or more documents) without injection. Values are substituted into the
 * parsed scalars (keys included); a substituted unquoted scalar is written quoted. An unquoted scalar
 * that is exactly one placeholder of a `number`/`boolean`-typed parameter becomes a number/boolean
 * (`replicas: {{ .params.n }}`); a quoted one stays a string, as YAML itself would read it.
 *
 * A manifest with no placeholders is returned unchanged. `documents` holds the parsed documents, empty
 * ones left out. Throws an `Error` naming the YAML problem (line and column of the manifest as written)
 * when the manifest does not parse, or when a placeholder sits outside any scalar (in a tag or anchor).
 */
export function renderManifest(manifest: string, context: TemplateContext): { manifest: string; documents: unknown[]; missing: string[] } {
  const masked = mask(manifest, context);
  const docs = parseYamlStream(masked.text);
  const error = docs.flatMap((doc) => doc.errors)[0];
  if (error !== undefined) throw new Error(`manifest is not valid YAML: ${unmask(error.message, masked)}`, { cause: error });
  const sub: Substitution = { masked, context, missing: new Set(), substituted: [] };
  for (const doc of docs) renderDocument(doc, sub);
  const documents = values(docs);
  const text = masked.placeholders.length === 0 ? manifest : serialise(docs, sub, documents);
  return { manifest: text, documents, missing: [...sub.missing] };
}
