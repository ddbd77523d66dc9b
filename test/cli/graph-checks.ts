/**
 * Small structural checkers for the graph formats, so the tests need neither mermaid nor Graphviz nor
 * an XML library: each returns the problems it finds (empty when the text is well formed).
 */

// ---- mermaid -------------------------------------------------------------------------------------

const MERMAID = {
  node: /^(\w+)\["[^"]*"\]$/,
  subgraph: /^subgraph (\w+)\["[^"]*"\]$/,
  edge: /^(\w+) --> (\w+)$/,
  classes: /^class ([\w,]+) \w+$/,
} as const;

const isMermaidStatement = (line: string): boolean =>
  MERMAID.edge.test(line) || line === 'direction TB' || line.startsWith('classDef ') || MERMAID.classes.test(line);

/** How a line changes the subgraph depth, or undefined when it is not a known statement. */
function depthChange(line: string, id: string | undefined): number | undefined {
  if (MERMAID.subgraph.test(line)) return 1;
  if (line === 'end') return -1;
  return id !== undefined || isMermaidStatement(line) ? 0 : undefined;
}

/** The ids a flowchart declares, and the problems of its subgraph nesting and unknown lines. */
function mermaidDeclarations(body: readonly string[]): { declared: Set<string>; problems: string[] } {
  const declared = new Set<string>();
  const problems: string[] = [];
  let depth = 0;
  for (const line of body) {
    const id = MERMAID.subgraph.exec(line)?.[1] ?? MERMAID.node.exec(line)?.[1];
    if (id !== undefined) declared.add(id);
    const change = depthChange(line, id);
    if (change === undefined) problems.push(`unrecognised line: ${line}`);
    depth += change ?? 0;
    if (depth < 0) problems.push('"end" without "subgraph"');
  }
  if (depth !== 0) problems.push(`${depth} subgraph(s) not closed`);
  return { declared, problems };
}

/** The ids an edge or class line refers to. */
function references(line: string): string[] {
  const edge = MERMAID.edge.exec(line);
  if (edge !== null) return edge.slice(1);
  return MERMAID.classes.exec(line)?.[1]?.split(',') ?? [];
}

/** Mermaid flowchart: subgraph/end balanced, labels quoted, every edge and class naming a declared node. */
export function mermaidProblems(text: string): string[] {
  const lines = text.split('\n').map((line) => line.trim());
  const header = lines.indexOf('flowchart LR');
  if (header < 0) return ['no "flowchart LR" header'];
  const body = lines.slice(header + 1).filter((line) => line !== '');
  const { declared, problems } = mermaidDeclarations(body);
  for (const line of body) {
    for (const id of references(line)) if (!declared.has(id)) problems.push(`${line.startsWith('class ') ? 'class' : 'edge'} names undeclared node ${id}`);
  }
  return problems;
}

// ---- dot -----------------------------------------------------------------------------------------

/** Text with the quoted strings (dot syntax: backslash escapes) replaced by `""`; undefined when a quote is left open. */
function withoutStrings(text: string): string | undefined {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i] ?? '';
    if (inString && char === '\\') i += 1;
    else if (char === '"') {
      inString = !inString;
      if (!inString) out += '""';
    } else if (!inString) out += char;
  }
  return inString ? undefined : out;
}

function balanceProblems(text: string, open: string, close: string): string[] {
  let depth = 0;
  for (const char of text) {
    depth += char === open ? 1 : char === close ? -1 : 0;
    if (depth < 0) return [`"${close}" without "${open}"`];
  }
  return depth === 0 ? [] : [`unbalanced ${open}${close}`];
}

/** Graphviz dot: quotes closed, braces and brackets balanced, every edge's nodes declared. */
export function dotProblems(text: string): string[] {
  const bare = withoutStrings(text);
  if (bare === undefined) return ['a quoted string is not closed'];
  const problems = [...balanceProblems(bare, '{', '}'), ...balanceProblems(bare, '[', ']')];
  if (!/^digraph ""\s*\{/.test(bare)) problems.push('does not start with digraph "…" {');
  const declared = new Set([...bare.matchAll(/^\s*(\w+) \[/gm)].map((match) => match[1]));
  const used = [...bare.matchAll(/^\s*(\w+) -> (\w+)/gm)].flatMap((match) => match.slice(1));
  return [...problems, ...used.filter((id) => !declared.has(id)).map((id) => `edge names undeclared node ${id}`)];
}

// ---- XML -----------------------------------------------------------------------------------------

const ENTITY = /^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;
const ATTRIBUTE = /^([A-Za-z_:][\w:.-]*)="([^"<]*)"\s*/;

function textProblems(content: string): string[] {
  const problems: string[] = [];
  for (let i = content.indexOf('&'); i >= 0; i = content.indexOf('&', i + 1)) {
    if (!ENTITY.test(content.slice(i))) problems.push(`bare "&" in text near "${content.slice(i, i + 12)}"`);
  }
  if (content.includes('>')) problems.push('bare ">" in text');
  return problems;
}

/** Each attribute `name="value"` once, its value escaped. */
function attributeListProblems(list: string, tag: string): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (let left = list; left !== '';) {
    const match = ATTRIBUTE.exec(left);
    if (match === null) return [...problems, `malformed attributes in ${tag}`];
    const [whole, name = '', value = ''] = match;
    if (seen.has(name)) problems.push(`attribute ${name} twice in ${tag}`);
    seen.add(name);
    problems.push(...textProblems(value));
    left = left.slice(whole.length);
  }
  return problems;
}

function tagProblems(tag: string): string[] {
  const start = /^<\/?[A-Za-z][\w:-]*/.exec(tag);
  if (start === null) return [`malformed tag ${tag}`];
  const rest = tag.slice(start[0].length).replace(/\/?>$/, '').trim();
  if (tag.startsWith('</') && rest !== '') return [`attributes in closing tag ${tag}`];
  return attributeListProblems(rest, tag);
}

interface Walk {
  stack: string[];
  roots: number;
  problems: string[];
}

function visitTag(tag: string, walk: Walk): void {
  const name = /^<\/?([A-Za-z][\w:-]*)/.exec(tag)?.[1] ?? '';
  walk.problems.push(...tagProblems(tag));
  if (tag.startsWith('</')) {
    const open = walk.stack.pop();
    if (open !== name) walk.problems.push(`</${name}> closes <${open ?? 'nothing'}>`);
    return;
  }
  if (walk.stack.length === 0) walk.roots += 1;
  if (!tag.endsWith('/>')) walk.stack.push(name);
}

/** XML well-formedness for what the SVG writer emits: one root, matching tags, quoted attributes, escaped text. */
export function xmlProblems(text: string): string[] {
  const body = text.replace(/^<\?xml[^?]*\?>\s*/, '');
  const walk: Walk = { stack: [], roots: 0, problems: [] };
  let position = 0;
  for (const match of body.matchAll(/<[^<>]*>/g)) {
    walk.problems.push(...textProblems(body.slice(position, match.index)));
    position = match.index + match[0].length;
    visitTag(match[0], walk);
  }
  const tail = body.slice(position);
  if (tail.includes('<')) walk.problems.push('a "<" that starts no tag');
  walk.problems.push(...textProblems(tail.trim()));
  if (walk.stack.length > 0) walk.problems.push(`unclosed: ${walk.stack.join(', ')}`);
  if (walk.roots !== 1) walk.problems.push(`${walk.roots} root elements`);
  return walk.problems;
}
