/**
 * Finds what in a repository's files refers to something outside it: relative paths that climb above
 * the root, `join(…, '..')` calls that do, and citations of documents that are not in it. Used by
 * test/repository/self-contained.test.ts; each check is linear in the size of the file.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, posix } from 'node:path';

export interface Finding {
  file: string;
  line: number;
  text: string;
  why: string;
}

/** Folders never scanned: installed packages and build output, none of it tracked. */
const UNTRACKED = new Set(['node_modules', 'dist', 'coverage', '.drplan', '.git', '.c8_output']);

/** The repository's files, relative to `root`, with `/` separators: git's list where there is one. */
export function repositoryFiles(root: string): string[] {
  if (existsSync(join(root, '.git'))) {
    const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
    return out
      .toString('utf8')
      .split('\0')
      .filter((file) => file !== '' && existsSync(join(root, file)));
  }
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(root, dir))) {
      if (UNTRACKED.has(name)) continue;
      const path = dir === '' ? name : `${dir}/${name}`;
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk('');
  return files;
}

/** The file's text, or undefined for a binary file. */
export function textOf(root: string, file: string): string | undefined {
  const buffer = readFileSync(join(root, file));
  return buffer.includes(0) ? undefined : buffer.toString('utf8');
}

const climbs = (relativeToRoot: string): boolean => relativeToRoot === '..' || relativeToRoot.startsWith('../');

/** `../` sequences, resolved from the file's folder as an import, a `new URL(…, import.meta.url)` or a Markdown link is. */
function relativePathsOutside(file: string, line: string): string[] {
  const found: string[] = [];
  for (const match of line.matchAll(/(?<![\w./-])((?:\.\.\/)+)([\w@.-]*)/g)) {
    const target = posix.normalize(posix.join(posix.dirname(file), match[0]));
    if (climbs(target)) found.push(`${match[0]} climbs out of the repository from ${posix.dirname(file)}/`);
  }
  return found;
}

/** `join(base, '..', …)`/`resolve(…)` whose base is the file's folder or the repository root, with more `..` than that is deep. */
function joinsOutside(file: string, line: string): string[] {
  const found: string[] = [];
  for (const match of line.matchAll(/\b(?:join|resolve)\(([^()]*(?:\([^()]*\)[^()]*)*)\)/g)) {
    const args = (match[1] ?? '').split(',').map((arg) => arg.trim());
    const ups = args.filter((arg) => arg === "'..'" || arg === '".."').length;
    if (ups === 0) continue;
    const base = args[0] ?? '';
    const depth = base.includes('import.meta')
      ? posix
          .dirname(file)
          .split('/')
          .filter((p) => p !== '.').length
      : /root|repo/i.test(base)
        ? 0
        : undefined;
    if (depth !== undefined && ups > depth) found.push(`${match[0]} climbs ${ups} folder(s) from a base ${depth} deep`);
  }
  return found;
}

/** Names of documents that live outside the repository (the project's planning notes). */
export const PLANNING_NOTES = ['DESIGN', 'STYLE'] as const;
const OUTSIDE_DOCUMENTS = new RegExp(`\\b(?:${PLANNING_NOTES.join('|')})(?:\\.md)?\\b(?:\\s*§\\s*\\d+)?|\\bshared\\/reference\\b|\\bseed\\/tasks\\b`, 'g');

function citationsOutside(line: string): string[] {
  return [...line.matchAll(OUTSIDE_DOCUMENTS)].map((match) => `cites ${match[0]}, which is not in the repository`);
}

/** Every `.md` file a line names exists in the repository, by path or by name. */
function missingMarkdown(file: string, line: string, markdown: ReadonlySet<string>, root: string): string[] {
  const found: string[] = [];
  for (const match of line.matchAll(/(?<![\w/.:-])([\w./-]*[\w-]\.md)\b(?![\w-])/g)) {
    const named = match[1] ?? '';
    const fromFile = posix.normalize(posix.join(posix.dirname(file), named));
    const fromRoot = posix.normalize(named.replace(/^\.\//, ''));
    if (existsSync(join(root, fromFile)) || existsSync(join(root, fromRoot)) || markdown.has(basename(named))) continue;
    found.push(`names ${named}, which is not in the repository`);
  }
  return found;
}

/** What the checks of one file need besides its text. */
export interface ScanContext {
  root: string;
  /** The names of the repository's Markdown files. */
  markdown: ReadonlySet<string>;
  options: ScanOptions;
}

export interface ScanOptions {
  /** Files whose `.md` names refer to their upstream project's documents (vendored files). */
  foreignDocuments: (file: string) => boolean;
  /** Files that show the patterns on purpose (this checker and its test), not scanned at all. */
  examples: ReadonlySet<string>;
}

/** Everything in `text` (the content of `file`) that refers outside the repository at `root`. */
export function findingsIn({ root, markdown, options }: ScanContext, file: string, text: string): Finding[] {
  const findings: Finding[] = [];
  text.split('\n').forEach((line, index) => {
    const whys = [
      ...relativePathsOutside(file, line),
      ...joinsOutside(file, line),
      ...citationsOutside(line),
      ...(options.foreignDocuments(file) || file === 'package-lock.json' ? [] : missingMarkdown(file, line, markdown, root)),
    ];
    for (const why of whys) findings.push({ file, line: index + 1, text: line.trim().slice(0, 160), why });
  });
  return findings;
}

/** Scans every file of the repository at `root`. */
export function scanRepository(root: string, options: ScanOptions): Finding[] {
  const files = repositoryFiles(root);
  const markdown = new Set(files.filter((file) => file.endsWith('.md')).map((file) => basename(file)));
  return files.flatMap((file) => {
    if (options.examples.has(file)) return [];
    const text = textOf(root, file);
    return text === undefined ? [] : findingsIn({ root, markdown, options }, file, text);
  });
}
