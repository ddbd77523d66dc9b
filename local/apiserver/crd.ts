/**
 * CustomResourceDefinitions: reading them from YAML files, checking the fields a real server checks,
 * the status a real server writes (Established, NamesAccepted, acceptedNames, storedVersions), and the
 * resource type a CRD makes servable.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ALL_VERBS } from './builtins.js';
import type { StatusCause } from './errors.js';
import type { KubeObject, PrinterColumn, ResourceType, ResourceVersion } from './types.js';
import { isRecord } from './types.js';

export const CRD_GROUP = 'apiextensions.k8s.io';
export const CRD_PLURAL = 'customresourcedefinitions';

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema: unknown;
  status: boolean;
  printerColumns: PrinterColumn[] | undefined;
}

interface CrdNames {
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  shortNames: string[];
  categories: string[];
}

const record = (value: unknown): Record<string, unknown> => (isRecord(value) ? value : {});
const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

function namesOf(spec: Record<string, unknown>): CrdNames {
  const names = record(spec.names);
  const kind = text(names.kind);
  return {
    plural: text(names.plural),
    singular: text(names.singular) === '' ? kind.toLowerCase() : text(names.singular),
    kind,
    listKind: text(names.listKind) === '' ? `${kind}List` : text(names.listKind),
    shortNames: strings(names.shortNames),
    categories: strings(names.categories),
  };
}

function printerColumns(value: unknown): PrinterColumn[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.filter(isRecord).map((column) => ({
    name: text(column.name),
    type: text(column.type),
    jsonPath: text(column.jsonPath),
    ...(typeof column.description === 'string' ? { description: column.description } : {}),
    ...(typeof column.priority === 'number' ? { priority: column.priority } : {}),
    ...(typeof column.format === 'string' ? { format: column.format } : {}),
  }));
}

function versionsOf(spec: Record<string, unknown>): CrdVersion[] {
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isRecord) : [];
  return versions.map((version) => ({
    name: text(version.name),
    served: version.served === true,
    storage: version.storage === true,
    schema: record(version.schema).openAPIV3Schema,
    status: isRecord(record(version.subresources).status),
    printerColumns: printerColumns(version.additionalPrinterColumns),
  }));
}

/** Kubernetes version priority: GA before beta before alpha, higher numbers first, others last by name. */
export function compareVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number] => {
    const match = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (match === null) return [0, 0, 0];
    const stability = match[2] === undefined ? 3 : match[2] === 'beta' ? 2 : 1;
    return [stability, Number(match[1]), Number(match[3] ?? 0)];
  };
  const [ra, rb] = [rank(a), rank(b)];
  for (let i = 0; i < 3; i += 1) {
    const diff = (rb[i] ?? 0) - (ra[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return a.localeCompare(b);
}

/** The resource type a CRD defines, its served versions in priority order. */
export function crdToResourceType(crd: KubeObject): ResourceType {
  const spec = record(crd.spec);
  const names = namesOf(spec);
  const versions = versionsOf(spec)
    .filter((v) => v.served)
    .sort((a, b) => compareVersions(a.name, b.name));
  const served: ResourceVersion[] = versions.map((v) => ({
    name: v.name,
    schema: v.schema,
    ...(v.printerColumns === undefined ? {} : { printerColumns: v.printerColumns }),
  }));
  return {
    group: text(spec.group),
    plural: names.plural,
    singular: names.singular,
    kind: names.kind,
    listKind: names.listKind,
    namespaced: spec.scope !== 'Cluster',
    shortNames: names.shortNames,
    categories: names.categories,
    verbs: ALL_VERBS,
    versions: served,
    statusSubresource: versions.some((v) => v.status),
    generation: 'all-but-metadata-and-status',
    custom: true,
    strategicMerge: false,
  };
}

const required = (field: string): StatusCause => ({ reason: 'FieldValueRequired', message: 'Required value', field });
const invalidValue = (field: string, value: string, why: string): StatusCause => ({
  reason: 'FieldValueInvalid',
  message: `Invalid value: ${JSON.stringify(value)}: ${why}`,
  field,
});

function versionCauses(spec: Record<string, unknown>): StatusCause[] {
  const versions = versionsOf(spec);
  if (versions.length === 0) return [required('spec.versions')];
  const causes: StatusCause[] = [];
  versions.forEach((version, index) => {
    if (version.name === '') causes.push(required(`spec.versions[${index}].name`));
    if (!isRecord(version.schema)) causes.push(required(`spec.versions[${index}].schema.openAPIV3Schema`));
  });
  if (versions.filter((v) => v.storage).length !== 1) {
    causes.push({ reason: 'FieldValueInvalid', message: 'Invalid value: must have exactly one version marked as storage version', field: 'spec.versions' });
  }
  return causes;
}

/** The checks a real server makes on a CRD (names, scope, one storage version, schemas present). */
function nameCauses(crd: KubeObject, group: string, names: CrdNames): StatusCause[] {
  const causes: StatusCause[] = [];
  if (group === '') causes.push(required('spec.group'));
  else if (!group.includes('.')) causes.push(invalidValue('spec.group', group, 'should be a domain with at least one dot'));
  if (names.plural === '') causes.push(required('spec.names.plural'));
  if (names.kind === '') causes.push(required('spec.names.kind'));
  const expected = `${names.plural}.${group}`;
  if (names.plural !== '' && group !== '' && crd.metadata.name !== expected) {
    causes.push(invalidValue('metadata.name', crd.metadata.name ?? '', `must be spec.names.plural+"."+spec.group`));
  }
  return causes;
}

export function crdCauses(crd: KubeObject): StatusCause[] {
  const spec = record(crd.spec);
  const group = text(spec.group);
  const causes = nameCauses(crd, group, namesOf(spec));
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') {
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${JSON.stringify(spec.scope ?? '')}: supported values: "Cluster", "Namespaced"`,
      field: 'spec.scope',
    });
  }
  return [...causes, ...versionCauses(spec)];
}

/** A CRD's group and plural cannot change: they name the resource it serves. */
export function crdUpdateCauses(current: KubeObject, next: KubeObject): StatusCause[] {
  const [before, after] = [record(current.spec), record(next.spec)];
  const causes: StatusCause[] = [];
  if (text(after.group) !== text(before.group)) causes.push(invalidValue('spec.group', text(after.group), 'field is immutable'));
  const [plural, newPlural] = [namesOf(before).plural, namesOf(after).plural];
  if (newPlural !== plural) causes.push(invalidValue('spec.names.plural', newPlural, 'field is immutable'));
  return causes;
}

/** The status a real server gives an accepted CRD. */
export function withCrdStatus(crd: KubeObject, now: string): KubeObject {
  const spec = record(crd.spec);
  const names = namesOf(spec);
  const previous = record(crd.status);
  const storage = versionsOf(spec).find((v) => v.storage)?.name;
  const stored = new Set([...strings(previous.storedVersions), ...(storage === undefined ? [] : [storage])]);
  const since = (type: string): string => {
    const conditions = Array.isArray(previous.conditions) ? previous.conditions.filter(isRecord) : [];
    const found = conditions.find((c) => c.type === type && c.status === 'True');
    return typeof found?.lastTransitionTime === 'string' ? found.lastTransitionTime : now;
  };
  const condition = (type: string, reason: string, message: string): Record<string, unknown> => ({
    type,
    status: 'True',
    lastTransitionTime: since(type),
    reason,
    message,
  });
  return {
    ...crd,
    status: {
      acceptedNames: { ...names, shortNames: names.shortNames, categories: names.categories },
      conditions: [
        condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
        condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
      ],
      storedVersions: [...stored],
    },
  };
}

/** Every CustomResourceDefinition document in the `*.yaml`/`*.yml`/`*.json` files of the given folders. */
export function readCrdFiles(dirs: readonly string[]): KubeObject[] {
  const crds: KubeObject[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir)
        .filter((name) => /\.(ya?ml|json)$/.test(name))
        .sort();
    } catch (error: unknown) {
      throw new Error(`cannot read the CRD folder ${dir}`, { cause: error });
    }
    for (const name of names) crds.push(...crdsInFile(join(dir, name)));
  }
  return crds;
}

/** Parsed files by path, size and mtime: the project's CRDs are large and servers start often in tests. */
const parsedFiles = new Map<string, { stamp: string; crds: KubeObject[] }>();

function crdsInFile(path: string): KubeObject[] {
  const stats = statSync(path);
  const stamp = `${stats.size}:${stats.mtimeMs}`;
  const cached = parsedFiles.get(path);
  if (cached?.stamp === stamp) return structuredClone(cached.crds);
  const crds = parseCrdFile(path);
  parsedFiles.set(path, { stamp, crds });
  return structuredClone(crds);
}

function parseCrdFile(path: string): KubeObject[] {
  const documents = parseAllDocuments(readFileSync(path, 'utf8'));
  const out: KubeObject[] = [];
  for (const document of documents) {
    if (document.errors.length > 0) throw new Error(`${path}: ${document.errors[0]?.message ?? 'invalid YAML'}`);
    const value: unknown = document.toJS();
    if (isRecord(value) && value.kind === 'CustomResourceDefinition' && isRecord(value.metadata)) {
      out.push({ ...value, metadata: value.metadata });
    }
  }
  return out;
}
