/**
 * Text that looks like a parameter reference: `{{ … .params … }}` (no brace inside) or `$(params…)`.
 * The same matches, in the same order, as the regular expression
 * `\{\{[^{}]*\.params\b[^{}]*\}\}|\$\(params\b[^)]*\)` with the `g` flag — found in one pass over the
 * text. That expression backtracks quadratically (a long run of `.params`, many unclosed `$(params`):
 * a 700 KB workflow kept a validator busy for minutes. Here every position is looked at a bounded
 * number of times, with three tables built right to left.
 */

export interface Lookalike {
  raw: string;
  index: number;
}

const PARAMS = '.params';
const DOLLAR_PARAMS = '$(params';

const isWordChar = (code: number): boolean => (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;

/** `.params` at `at`, not followed by a word character (the regex's `\b`). */
const paramsWordAt = (text: string, at: number): boolean => text.startsWith(PARAMS, at) && !isWordChar(text.charCodeAt(at + PARAMS.length));

interface Tables {
  /** The next `{` or `}` at or after each index (text.length: none). */
  brace: Int32Array;
  /** The next `)` at or after each index. */
  paren: Int32Array;
  /** The next `.params` word at or after each index. */
  params: Int32Array;
}

function tablesOf(text: string): Tables {
  const size = text.length;
  const tables = { brace: new Int32Array(size + 1), paren: new Int32Array(size + 1), params: new Int32Array(size + 1) };
  tables.brace[size] = tables.paren[size] = tables.params[size] = size;
  for (let i = size - 1; i >= 0; i--) {
    const char = text[i];
    tables.brace[i] = char === '{' || char === '}' ? i : (tables.brace[i + 1] ?? size);
    tables.paren[i] = char === ')' ? i : (tables.paren[i + 1] ?? size);
    tables.params[i] = paramsWordAt(text, i) ? i : (tables.params[i + 1] ?? size);
  }
  return tables;
}

/** The match starting at `at`, if any: first `{{ … }}`, then `$(params … )`, as the regex's alternation. */
function matchAt(text: string, at: number, tables: Tables): Lookalike | undefined {
  if (text.startsWith('{{', at)) {
    const start = at + 2;
    const end = tables.brace[start] ?? text.length;
    if (text.startsWith('}}', end) && (tables.params[start] ?? text.length) + PARAMS.length <= end) return { raw: text.slice(at, end + 2), index: at };
  }
  if (text.startsWith(DOLLAR_PARAMS, at) && !isWordChar(text.charCodeAt(at + DOLLAR_PARAMS.length))) {
    const close = tables.paren[at + DOLLAR_PARAMS.length] ?? text.length;
    if (close < text.length) return { raw: text.slice(at, close + 1), index: at };
  }
  return undefined;
}

/** Every look-alike in `text`, in order, not overlapping (as `matchAll` would find them). */
export function findLookalikes(text: string): Lookalike[] {
  if (!text.includes('params')) return [];
  const tables = tablesOf(text);
  const found: Lookalike[] = [];
  for (let at = 0; at < text.length;) {
    const match = matchAt(text, at, tables);
    if (match === undefined) at += 1;
    else {
      found.push(match);
      at += match.raw.length;
    }
  }
  return found;
}
