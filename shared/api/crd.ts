/**
 * CustomResourceDefinitions generated from the zod schemas (the single source of the API).
 *
 * zod 4's `z.toJSONSchema` (input side, OpenAPI 3.0 target) does the zod-to-JSON part; an `override`
 * turns nodes marked `FREE_FORM` into `x-kubernetes-preserve-unknown-fields` objects, and a cleaning
 * pass makes the result a structural schema: no `$ref` or composition, every node typed, none of zod's
 * artefacts (`additionalProperties: false`, `$schema`, ±2^53 integer bounds), `required` sorted.
 * Anything it cannot express faithfully throws with the field path, rather than being dropped.
 */
import { z } from 'zod';
import { stringify } from 'yaml';
import type { FREE_FORM } from './common.js';
import { GROUP, Kinds, Plurals, VERSION } from './constants.js';
import type { Kind } from './constants.js';
import { DRPlanExecutionSchema } from './execution.js';
import { DRPlanSchema } from './plan.js';
import { DRWorkflowSchema } from './workflow.js';

export type SchemaNode = Record<string, unknown>;

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description: string;
}

/** What a kind needs beyond its zod schema to become a CRD. */
export interface CrdSource {
  kind: Kind;
  singular: string;
  shortName: string;
  description: string;
  /** The kind's zod schema: `apiVersion`, `kind`, `metadata`, `spec`, `status`. */
  schema: z.ZodObject<z.core.$ZodShape>;
  columns: readonly PrinterColumn[];
}

/** Not `drplan`: kubectl expands a category before a singular name, so `kubectl get drplan x` would fail. */
export const CRD_CATEGORY = 'dr';

const FREE_FORM_KEY = 'x-drplan-free-form' satisfies keyof typeof FREE_FORM;
const PRESERVE = 'x-kubernetes-preserve-unknown-fields';
const ROOT_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];

const column = (name: string, jsonPath: string, description: string): PrinterColumn => ({
  name,
  type: 'string',
  jsonPath,
  description,
});
const PHASE = column('Phase', '.status.phase', 'The current phase');
const AGE: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since creation',
};

export const CRD_SOURCES: readonly CrdSource[] = [
  {
    kind: Kinds.workflow,
    singular: 'drworkflow',
    shortName: 'drwf',
    description: 'DRWorkflow describes how to fail one application over: ordered actions with retries and rollbacks.',
    schema: DRWorkflowSchema,
    columns: [PHASE, AGE],
  },
  {
    kind: Kinds.plan,
    singular: 'drplan',
    shortName: 'drp',
    description: 'DRPlan describes what to fail over and in which order: stages of workflow references.',
    schema: DRPlanSchema,
    columns: [
      { ...column('Stages', '.status.stageCount', 'The number of stages'), type: 'integer' },
      PHASE,
      column('Current', '.status.currentExecution.name', 'The execution holding the plan lock'),
      AGE,
    ],
  },
  {
    kind: Kinds.execution,
    singular: 'drplanexecution',
    shortName: 'drpe',
    description: 'DRPlanExecution is one run of a plan (Execute) or of its rollback (Revert).',
    schema: DRPlanExecutionSchema,
    columns: [
      column('Plan', '.spec.planRef', 'The plan this execution runs'),
      column('Operation', '.spec.operationType', 'Execute or Revert'),
      PHASE,
      column('Progress', '.status.progress', 'Finished actions out of all actions'),
      AGE,
    ],
  },
];

const KEPT_KEYS = new Set([
  'type',
  'format',
  'description',
  'default',
  'enum',
  'nullable',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
]);
const DROPPED_KEYS = new Set(['$schema', 'definitions', '$defs', FREE_FORM_KEY]);
const SAFE_INTEGER = [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] as const;
const INT32_RANGE = [-2147483648, 2147483647] as const;

const isRecord = (value: unknown): value is SchemaNode => typeof value === 'object' && value !== null && !Array.isArray(value);

const fail = (path: string, message: string): never => {
  throw new Error(`CRD schema at ${path === '' ? '(root)' : path}: ${message}`);
};

const child = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);

/** Replaces a node marked `FREE_FORM` (an object, or an array of objects) by a free-form object. */
function freeFormOverride(ctx: { zodSchema: z.core.$ZodType; jsonSchema: SchemaNode }): void {
  if (z.globalRegistry.get(ctx.zodSchema)?.[FREE_FORM_KEY] !== true) return;
  const { description, type } = ctx.jsonSchema;
  for (const key of Object.keys(ctx.jsonSchema)) Reflect.deleteProperty(ctx.jsonSchema, key);
  const object = { type: 'object', [PRESERVE]: true };
  Object.assign(ctx.jsonSchema, type === 'array' ? { type: 'array', items: object } : object);
  if (typeof description === 'string') ctx.jsonSchema.description = description;
}

function cleanProperties(value: unknown, path: string): SchemaNode {
  if (!isRecord(value)) return fail(path, '"properties" is not an object');
  return Object.fromEntries(Object.entries(value).map(([name, node]) => [name, clean(node, child(path, name))]));
}

/** Records become `additionalProperties: <schema>`; strict objects lose zod's `false`; loose ones fail. */
function cleanAdditionalProperties(value: unknown, path: string): SchemaNode | undefined {
  if (value === false) return undefined;
  if (value === true || (isRecord(value) && Object.keys(value).length === 0)) {
    return fail(path, 'accepts unknown keys that the API server would prune; make it strict or mark it FREE_FORM');
  }
  return clean(value, `${path}{}`);
}

/** RegExp.source escapes `/`; Go's RE2 does not need it, and the original CRDs write it bare. */
const cleanPattern = (value: unknown): unknown => (typeof value === 'string' ? value.replaceAll('\\/', '/') : value);

function cleanEntry(key: string, value: unknown, path: string): unknown {
  if (DROPPED_KEYS.has(key)) return undefined;
  if (key === 'properties') return cleanProperties(value, path);
  if (key === 'items') return clean(value, `${path}[]`);
  if (key === 'additionalProperties') return cleanAdditionalProperties(value, path);
  if (key === 'required' && Array.isArray(value)) return value.map(String).sort();
  if (KEPT_KEYS.has(key) || key.startsWith('x-kubernetes-')) return key === 'pattern' ? cleanPattern(value) : value;
  return fail(path, `"${key}" cannot be expressed in a structural schema`);
}

/** zod writes the range of a safe integer (or of int32) as bounds; `type`/`format` already say it. */
function dropImplicitBounds(node: SchemaNode): void {
  if (node.type !== 'integer') return;
  const [low, high] = node.format === 'int32' ? INT32_RANGE : SAFE_INTEGER;
  if (node.minimum === low || node.minimum === SAFE_INTEGER[0]) delete node.minimum;
  if (node.maximum === high || node.maximum === SAFE_INTEGER[1]) delete node.maximum;
}

function clean(node: unknown, path: string): SchemaNode {
  if (!isRecord(node)) return fail(path, 'is not a schema object');
  const out: SchemaNode = {};
  for (const [key, value] of Object.entries(node)) {
    const cleaned = cleanEntry(key, value, path);
    if (cleaned !== undefined) out[key] = cleaned;
  }
  dropImplicitBounds(out);
  if (out.type === undefined && out[PRESERVE] !== true) fail(path, 'has no type; give it one or mark it FREE_FORM');
  return out;
}

/** The structural OpenAPI v3 schema of one zod schema; `path` names it in errors (e.g. `spec`). */
export function toStructuralSchema(schema: z.core.$ZodType, path = ''): SchemaNode {
  const json = z.toJSONSchema(schema, { io: 'input', target: 'openapi-3.0', override: freeFormOverride });
  return clean(json, path);
}

function openApiSchema(source: CrdSource): SchemaNode {
  const { shape } = source.schema;
  const extra = Object.keys(shape).filter((key) => !ROOT_FIELDS.includes(key));
  if (extra.length > 0) fail('', `${source.kind} has top-level fields a CRD cannot carry: ${extra.join(', ')}`);
  const part = (name: string): SchemaNode => {
    const schema = shape[name];
    return schema === undefined ? fail(name, `${source.kind} has no ${name}`) : toStructuralSchema(schema, name);
  };
  return {
    type: 'object',
    description: source.description,
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
      kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
      metadata: { type: 'object' },
      spec: part('spec'),
      status: part('status'),
    },
    required: ['spec'],
  };
}

/** Object keys sorted at every level (arrays keep their order), so output never depends on insertion order. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isRecord(value)) return value;
  const keys = Object.keys(value).sort();
  return Object.fromEntries(keys.map((key) => [key, sortKeys(value[key])]));
}

/** The apiextensions.k8s.io/v1 CustomResourceDefinition of one kind, keys sorted. */
export function buildCrd(source: CrdSource): SchemaNode {
  const plural = Plurals[source.kind];
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: source.kind,
        listKind: `${source.kind}List`,
        plural,
        singular: source.singular,
        shortNames: [source.shortName],
        categories: [CRD_CATEGORY],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: openApiSchema(source) },
          subresources: { status: {} },
          additionalPrinterColumns: source.columns,
        },
      ],
    },
  };
  return sortKeys(crd) as SchemaNode;
}

export interface CrdFile {
  /** Path relative to the repository root. */
  path: string;
  text: string;
}

const HEADER = '# Generated from the zod schemas in shared/api by `npm run gen:crds`. Do not edit.\n';

/** Every CRD as the YAML text committed under `knative/crds/`. */
export function generateCrdFiles(): CrdFile[] {
  return CRD_SOURCES.map((source) => ({
    path: `knative/crds/${Plurals[source.kind]}.${GROUP}.yaml`,
    text: HEADER + stringify(buildCrd(source), { version: '1.1', lineWidth: 0 }),
  }));
}
