/**
 * The production manifests under `knative/`, read the way `kubectl apply -R -f knative/` reads them:
 * every `*.yaml`, `*.yml` and `*.json` file, folders walked in lexical order, each YAML document one
 * object. Plus the upstream Knative CRDs (`test/fixtures/vendored/knative/`) to validate them against,
 * and small accessors the manifest tests share.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { crdToResourceType, readCrdFiles } from '../../local/apiserver/crd.js';
import type { KubeObject } from '../../shared/kube/types.js';
import { KNATIVE_CRDS } from '../support/fixtures.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const KNATIVE_DIR = join(REPO_ROOT, 'knative');
export const KNATIVE_REFERENCE_DIR = KNATIVE_CRDS;
export const NAMESPACE = 'drplan-system';
export const BROKER = 'drplan';

/** What kubectl reads when it walks a folder. */
const MANIFEST_FILE = /\.(ya?ml|json)$/;

export interface Manifest {
  /** Path relative to the repository root. */
  file: string;
  /** Index of the document in its file. */
  index: number;
  object: KubeObject;
}

/** Files in the order `kubectl apply -R` visits them (Go's filepath.Walk: lexical, depth first). */
export function manifestFiles(dir = KNATIVE_DIR): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return manifestFiles(path);
      return MANIFEST_FILE.test(name) ? [path] : [];
    });
}

const isObject = (value: unknown): value is KubeObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every document of one file; a YAML error or a document that is not a mapping throws, naming the file. */
export function readManifestFile(path: string): Manifest[] {
  const file = relative(REPO_ROOT, path);
  const documents = parseAllDocuments(readFileSync(path, 'utf8'));
  return documents.flatMap((document, index) => {
    if (document.errors.length > 0) throw new Error(`${file} document ${index}: ${document.errors.map((error) => error.message).join('; ')}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) return [];
    if (!isObject(value)) throw new Error(`${file} document ${index}: not a mapping`);
    return [{ file, index, object: value }];
  });
}

let cached: Manifest[] | undefined;

/** Every object under knative/, in apply order. */
export function loadManifests(): Manifest[] {
  cached ??= manifestFiles().flatMap(readManifestFile);
  return cached;
}

export const objectsOf = (kind: string, manifests: readonly Manifest[] = loadManifests()): KubeObject[] =>
  manifests.filter((manifest) => manifest.object.kind === kind).map((manifest) => manifest.object);

/** The one object of `kind` named `name` (in `NAMESPACE` for namespaced kinds), or undefined. */
export function findObject(kind: string, name: string, manifests: readonly Manifest[] = loadManifests()): KubeObject | undefined {
  return objectsOf(kind, manifests).find((object) => object.metadata.name === name);
}

/** `apiVersion kind` → the served version's openAPIV3Schema, for every CRD in `dir`. */
export function crdSchemas(dir = KNATIVE_REFERENCE_DIR): Map<string, unknown> {
  const schemas = new Map<string, unknown>();
  for (const crd of readCrdFiles([dir])) {
    const type = crdToResourceType(crd);
    for (const version of type.versions) schemas.set(`${type.group}/${version.name} ${type.kind}`, version.schema);
  }
  return schemas;
}

/** A field read along a path of keys (`['spec', 'template', 'spec']`); undefined when any step is missing. */
export function at(value: unknown, ...path: readonly (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

export const stringAt = (value: unknown, ...path: readonly (string | number)[]): string | undefined => {
  const found = at(value, ...path);
  return typeof found === 'string' ? found : undefined;
};

export const arrayAt = (value: unknown, ...path: readonly (string | number)[]): unknown[] => {
  const found = at(value, ...path);
  return Array.isArray(found) ? (found as unknown[]) : [];
};

export const recordAt = (value: unknown, ...path: readonly (string | number)[]): Record<string, unknown> => {
  const found = at(value, ...path);
  return typeof found === 'object' && found !== null && !Array.isArray(found) ? (found as Record<string, unknown>) : {};
};

/** `name → value` of a container's `env` list (or a func.yaml `run.envs` list). */
export function envOf(list: readonly unknown[]): Record<string, string | undefined> {
  return Object.fromEntries(list.map((entry) => [stringAt(entry, 'name') ?? '', stringAt(entry, 'value')]));
}
