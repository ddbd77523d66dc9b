/**
 * Keeps the user guide's field reference true: every field of the generated CRDs (knative/crds/) has a
 * row, no row names a field that does not exist, and each row's default, enum values and "required"
 * say what the CRD says.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GUIDE = readFileSync(join(ROOT, 'docs/user-guide.md'), 'utf8');

interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  default?: unknown;
  enum?: unknown[];
  required?: string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-map-type'?: string;
}

interface Field {
  path: string;
  node: SchemaNode;
  required: boolean;
}

/**
 * Where the reference stops going deeper: other APIs' data (Clusternet specs, Job templates, free-form
 * rollbacks), object references, standard conditions, and the frozen plan's inner structure.
 */
const DOCUMENTED_AS_A_WHOLE = [/\.(localization|subscription)\.spec$/, /^status\.conditions$/, /^status\.resolved\.(stages|rollbackSteps)$/];

function isWhole(path: string, node: SchemaNode | undefined): boolean {
  return (
    node === undefined ||
    node['x-kubernetes-preserve-unknown-fields'] === true ||
    node['x-kubernetes-map-type'] === 'atomic' ||
    DOCUMENTED_AS_A_WHOLE.some((pattern) => pattern.test(path))
  );
}

function fieldsOf(node: SchemaNode, path: string, required: boolean, out: Field[]): void {
  out.push({ path, node, required });
  const inner = node.type === 'array' ? node.items : node;
  if (inner === undefined || isWhole(path, inner)) return;
  const prefix = node.type === 'array' ? `${path}[]` : path;
  for (const [name, child] of Object.entries(inner.properties ?? {})) fieldsOf(child, `${prefix}.${name}`, (inner.required ?? []).includes(name), out);
}

function crdFields(kind: string): Field[] {
  const file = readdirSync(join(ROOT, 'knative/crds')).find((name) => name.startsWith(`${kind.toLowerCase()}s.`));
  assert.ok(file, `no CRD for ${kind}`);
  const crd = parse(readFileSync(join(ROOT, 'knative/crds', file), 'utf8')) as { spec: { versions: Array<{ schema: { openAPIV3Schema: SchemaNode } }> } };
  const root = crd.spec.versions[0]?.schema.openAPIV3Schema;
  const out: Field[] = [];
  for (const top of ['spec', 'status']) {
    const section = root?.properties?.[top];
    for (const [name, child] of Object.entries(section?.properties ?? {})) fieldsOf(child, `${top}.${name}`, (section?.required ?? []).includes(name), out);
  }
  return out;
}

interface Row {
  type: string;
  defaultCell: string;
}

/** The rows of the table under `### <kind>` in the field reference. */
function guideRows(kind: string): Map<string, Row> {
  const reference = GUIDE.slice(GUIDE.indexOf('## Field reference'));
  const start = reference.indexOf(`### ${kind}\n`);
  assert.ok(start >= 0, `no "### ${kind}" section in the field reference`);
  const section = reference.slice(start + kind.length + 5).split('\n### ')[0] ?? '';
  const rows = new Map<string, Row>();
  for (const line of section.split('\n')) {
    const cells = line.split(/(?<!\\)\|/).map((cell) => cell.trim());
    const path = /^`([^`]+)`$/.exec(cells[1] ?? '')?.[1];
    if (path === undefined) continue;
    assert.ok(!rows.has(path), `${kind}: ${path} has two rows`);
    rows.set(path, { type: cells[2] ?? '', defaultCell: cells[3] ?? '' });
  }
  return rows;
}

for (const kind of ['DRWorkflow', 'DRPlan', 'DRPlanExecution']) {
  describe(`the user guide's ${kind} reference`, () => {
    const fields = crdFields(kind);
    const rows = guideRows(kind);

    test('has a row for every field of the CRD', () => {
      assert.deepEqual(
        fields.map(({ path }) => path).filter((path) => !rows.has(path)),
        [],
      );
    });

    test('has no row for a field the CRD does not have', () => {
      const known = new Set(fields.map(({ path }) => path));
      assert.deepEqual(
        [...rows.keys()].filter((path) => !known.has(path)),
        [],
      );
    });

    test('gives the CRD default of every field that has one, and none (or a computed one in italics) otherwise', () => {
      const wrong = fields.flatMap(({ path, node }) => {
        const cell = rows.get(path)?.defaultCell ?? '';
        const expected = node.default === undefined ? undefined : `\`${JSON.stringify(node.default).replace(/^"(.*)"$/, '$1')}\``;
        const ok = expected === undefined ? cell === '—' || /^\*[^*]+\*$/.test(cell) : cell === expected;
        return ok ? [] : [`${path}: "${cell}", expected ${expected ?? '— or *computed*'}`];
      });
      assert.deepEqual(wrong, []);
    });

    test('lists the allowed values of every enum field', () => {
      const wrong = fields.flatMap(({ path, node }) => {
        const values = node.enum ?? [];
        const type = rows.get(path)?.type ?? '';
        return values.filter((value) => !type.includes(`\`${String(value)}\``)).map((value) => `${path}: ${String(value)} missing`);
      });
      assert.deepEqual(wrong, []);
    });

    test('marks exactly the required spec fields as required', () => {
      const wrong = fields
        .filter(({ path }) => path.startsWith('spec.'))
        .flatMap(({ path, required }) => ((rows.get(path)?.type ?? '').includes('required') === required ? [] : [`${path}: required is ${required}`]));
      assert.deepEqual(wrong, []);
    });
  });
}
