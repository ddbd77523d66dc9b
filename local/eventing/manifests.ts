/**
 * Reads a folder of Knative manifests (the production `knative/` folder, or a test fixture folder):
 * every `*.yaml`/`*.yml` below it, every document, and keeps what the local eventing plays. Objects
 * without a namespace land in `default`, as `kubectl apply` puts them in the kubeconfig's namespace.
 * Problems are collected and reported together, each with its file, object and field.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import {
  ApiServerSourceSchema,
  BrokerSchema,
  KnativeServiceSchema,
  PingSourceSchema,
  TriggerSchema,
  type ApiServerSource,
  type Broker,
  type KnativeService,
  type PingSource,
  type Trigger,
} from './knative-schemas.js';
import { isRecord } from '../../shared/type-utils.js';

export const DEFAULT_NAMESPACE = 'default';

export interface Located<T> {
  readonly object: T;
  readonly namespace: string;
  readonly name: string;
  /** The file the object came from, relative to the folder read. */
  readonly file: string;
}

export interface KnativeManifests {
  brokers: Located<Broker>[];
  triggers: Located<Trigger>[];
  apiServerSources: Located<ApiServerSource>[];
  pingSources: Located<PingSource>[];
  services: Located<KnativeService>[];
  /** Knative objects of kinds the local eventing does not play (`SinkBinding default/x (file)`). */
  ignored: string[];
}

export class ManifestError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid Knative manifests:\n  ${problems.join('\n  ')}`);
    this.name = 'ManifestError';
    this.problems = problems;
  }
}

type Collection = Exclude<keyof KnativeManifests, 'ignored'>;

const PLAYED: Readonly<Record<string, { schema: z.ZodType; into: Collection }>> = {
  'eventing.knative.dev/v1 Broker': { schema: BrokerSchema, into: 'brokers' },
  'eventing.knative.dev/v1 Trigger': { schema: TriggerSchema, into: 'triggers' },
  'sources.knative.dev/v1 ApiServerSource': { schema: ApiServerSourceSchema, into: 'apiServerSources' },
  'sources.knative.dev/v1 PingSource': { schema: PingSourceSchema, into: 'pingSources' },
  'serving.knative.dev/v1 Service': { schema: KnativeServiceSchema, into: 'services' },
};

const KNATIVE_GROUP = /(^|\.)knative\.dev\//;

export interface ManifestDocument {
  file: string;
  value: unknown;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return yamlFiles(path);
      return /\.ya?ml$/.test(entry.name) ? [path] : [];
    });
}

/** Every YAML document under `dir` (recursively, in name order), or the problems reading them. */
export function readManifestDocuments(dir: string): { documents: ManifestDocument[]; problems: string[] } {
  const documents: ManifestDocument[] = [];
  const problems: string[] = [];
  for (const path of yamlFiles(dir)) {
    const file = relative(dir, path);
    for (const document of parseAllDocuments(readFileSync(path, 'utf8'))) {
      const error = document.errors[0];
      if (error !== undefined) problems.push(`${file}: ${error.message}`);
      else documents.push({ file, value: document.toJS() as unknown });
    }
  }
  return { documents, problems };
}

/** `spec.filters[0].exact` */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text === '' ? String(key) : `${text}.${String(key)}`), '');
}

const emptyManifests = (): KnativeManifests => ({ brokers: [], triggers: [], apiServerSources: [], pingSources: [], services: [], ignored: [] });

function describe(value: Record<string, unknown>): { kind: string; namespace: string; name: string } {
  const metadata = isRecord(value.metadata) ? value.metadata : {};
  const text = (field: unknown, fallback: string): string => (typeof field === 'string' && field !== '' ? field : fallback);
  return { kind: text(value.kind, '?'), namespace: text(metadata.namespace, DEFAULT_NAMESPACE), name: text(metadata.name, '?') };
}

function addDocument(into: KnativeManifests, document: ManifestDocument, problems: string[]): void {
  const { value, file } = document;
  if (!isRecord(value)) return;
  const apiVersion = typeof value.apiVersion === 'string' ? value.apiVersion : '';
  const played = PLAYED[`${apiVersion} ${String(value.kind)}`];
  const { kind, namespace, name } = describe(value);
  if (played === undefined) {
    if (KNATIVE_GROUP.test(apiVersion)) into.ignored.push(`${kind} ${namespace}/${name} (${file})`);
    return;
  }
  const result = played.schema.safeParse(value);
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(`${file}: ${kind} ${namespace}/${name}: ${issuePath(issue.path) || '(object)'}: ${issue.message}`);
    return;
  }
  const list = into[played.into] as Located<unknown>[];
  const twin = list.find((other) => other.namespace === namespace && other.name === name);
  if (twin !== undefined) {
    problems.push(`${file}: ${kind} ${namespace}/${name} is also defined in ${twin.file}`);
    return;
  }
  list.push({ object: result.data, namespace, name, file });
}

/** The played objects of already-parsed documents; throws `ManifestError` listing every problem. */
export function parseKnativeManifests(documents: readonly ManifestDocument[], problems: string[] = []): KnativeManifests {
  const manifests = emptyManifests();
  for (const document of documents) addDocument(manifests, document, problems);
  if (problems.length > 0) throw new ManifestError(problems);
  return manifests;
}

/** Reads and checks the Knative manifests under `dir`. */
export function loadKnativeManifests(dir: string): KnativeManifests {
  const { documents, problems } = readManifestDocuments(dir);
  return parseKnativeManifests(documents, problems);
}
