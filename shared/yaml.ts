/**
 * YAML parsing in time linear in the text. The `yaml` package checks that a map's keys are unique by
 * comparing each key with every earlier key of its map: a 350 KB manifest of 37,000 short keys took
 * 12 s, and a tenant's workflow is parsed by validate-workflow, plan-stages and run-action alike. So
 * documents are parsed with that check off, and the keys of each map are checked here with one Set — the
 * same `DUPLICATE_KEY` error at the same place (Kubernetes refuses duplicate keys too).
 */
import type { Document, DocumentOptions, ParseOptions, SchemaOptions } from 'yaml';
import { isMap, isScalar, LineCounter, parseAllDocuments, visit, YAMLParseError } from 'yaml';

type Options = ParseOptions & DocumentOptions & SchemaOptions;

/** The identity of a scalar key (type and value, as the package compares them); undefined for other keys. */
function keyIdentity(key: unknown): string | undefined {
  if (!isScalar(key)) return undefined;
  const value: unknown = key.value;
  return `${typeof value}:${String(value)}`;
}

function duplicateKeyError(at: readonly [number, number], lines: LineCounter): YAMLParseError {
  const error = new YAMLParseError([at[0], at[1]], 'DUPLICATE_KEY', 'Map keys must be unique');
  const start = lines.linePos(at[0]);
  error.linePos = [start];
  error.message = `${error.message} at line ${start.line}, column ${start.col}`;
  return error;
}

/** Adds an error for each key that repeats an earlier key of its map. */
function checkUniqueKeys(document: Document.Parsed, lines: LineCounter): void {
  visit(document, {
    Map(_key, map) {
      if (!isMap(map)) return;
      const seen = new Set<string>();
      for (const pair of map.items) {
        const identity = keyIdentity(pair.key);
        if (identity === undefined) continue;
        if (!seen.has(identity)) {
          seen.add(identity);
          continue;
        }
        const range = isScalar(pair.key) ? pair.key.range : undefined;
        document.errors.push(duplicateKeyError(range === undefined || range === null ? [0, 0] : [range[0], range[1]], lines));
      }
    },
  });
}

/** Every document of `text`, each with its errors (a duplicate key among them), as `parseAllDocuments` gives them. */
export function parseYamlStream(text: string, options: Options = {}): Document.Parsed[] {
  const lines = new LineCounter();
  const parsed = parseAllDocuments(text, { ...options, uniqueKeys: false, lineCounter: lines });
  const documents = Array.isArray(parsed) ? parsed : [];
  for (const document of documents) {
    if (document.errors.length === 0) checkUniqueKeys(document, lines);
  }
  return documents;
}

/** The one document of `text` as plain data; throws its first error (the `yaml` package's `parse`, in linear time). */
export function parseYamlValue(text: string): unknown {
  const documents = parseYamlStream(text);
  if (documents.length > 1) throw new YAMLParseError([0, 0], 'MULTIPLE_DOCS', 'Source contains multiple documents; expected exactly one');
  const [document] = documents;
  if (document === undefined) return null;
  const [error] = document.errors;
  if (error !== undefined) throw error;
  return document.toJS();
}
