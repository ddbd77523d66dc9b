/**
 * Reads Kubernetes manifests from files and folders: `.yaml`, `.yml` and `.json` (folders recursively,
 * in sorted order, hidden entries skipped), multi-document YAML, and `kind: List` expanded to its items.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { parseYamlDocuments } from '../shared/engine/validate.js';
import { isRecord } from '../shared/type-utils.js';

export interface ManifestDocument {
  /** The file as the user named it (folder entries joined onto the folder argument). */
  file: string;
  /** Position of the object in its file, from 0 (items of a List count one each). */
  index: number;
  object: unknown;
}

export type ReadResult = { ok: true; documents: ManifestDocument[] } | { ok: false; errors: string[] };

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

function reason(error: unknown): string {
  if (isRecord(error) && error.code === 'ENOENT') return 'no such file or directory';
  if (isRecord(error) && error.code === 'EACCES') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}

async function walk(folder: string, shown: string): Promise<string[]> {
  const entries = (await readdir(folder, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isDirectory()) files.push(...(await walk(join(folder, entry.name), join(shown, entry.name))));
    else if (EXTENSIONS.has(extname(entry.name).toLowerCase())) files.push(join(shown, entry.name));
  }
  return files;
}

/** The files an argument names: itself, or the manifests under it when it is a folder. */
async function expand(argument: string, cwd: string): Promise<string[]> {
  const full = resolve(cwd, argument);
  const info = await stat(full);
  return info.isDirectory() ? walk(full, argument) : [argument];
}

/** `kind: List` (as `kubectl get -o yaml` writes) stands for its items. */
function unwrapList(value: unknown): unknown[] {
  if (isRecord(value) && value.kind === 'List' && Array.isArray(value.items)) return value.items;
  return [value];
}

/** The objects of one file's text, or its syntax error with the line and column. */
export function parseManifests(text: string, file: string): ReadResult {
  // as kubectl reads YAML (YAML 1.1: `on`, `yes`, `off` are booleans there, `0755` is octal)
  const parsed = parseYamlDocuments(text, { version: '1.1' });
  if (!parsed.ok) {
    const where = parsed.line === undefined ? '' : `:${parsed.line}:${parsed.column ?? 1}`;
    return { ok: false, errors: [`${file}${where}: invalid YAML: ${parsed.message}`] };
  }
  const objects = parsed.values.flatMap(unwrapList);
  return { ok: true, documents: objects.map((object, index) => ({ file, index, object })) };
}

async function readOne(file: string, cwd: string): Promise<ReadResult> {
  try {
    return parseManifests(await readFile(resolve(cwd, file), 'utf8'), file);
  } catch (error: unknown) {
    return { ok: false, errors: [`${file}: cannot read: ${reason(error)}`] };
  }
}

/** Every object of every file the arguments name; every unreadable input is reported, not only the first. */
export async function readManifests(paths: readonly string[], cwd: string): Promise<ReadResult> {
  const documents: ManifestDocument[] = [];
  const errors: string[] = [];
  for (const argument of paths) {
    let files: string[];
    try {
      files = await expand(argument, cwd);
    } catch (error: unknown) {
      errors.push(`${argument}: cannot read: ${reason(error)}`);
      continue;
    }
    for (const file of files) {
      const result = await readOne(file, cwd);
      if (result.ok) documents.push(...result.documents);
      else errors.push(...result.errors);
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, documents };
}
