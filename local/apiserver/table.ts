/**
 * Server-side printing: the `meta.k8s.io/v1` `Table` kube-apiserver returns when `kubectl get` asks
 * for `application/json;as=Table;v=v1;g=meta.k8s.io`. kubectl only lays the table out; every cell is
 * computed here, including ages ("5m"), which kube-apiserver renders before sending.
 *
 * Custom resources follow apiextensions-apiserver's table convertor: a `Name` column, the CRD's
 * printer columns, each cell the *first* match of the column's JSONPath (so `.spec.stages[*].name`
 * shows the first stage, as on a real cluster), typed by the column type; `date` cells become ages.
 * Unlike kube-apiserver, which adds `Age` only to CRDs without printer columns, an `Age` column is
 * appended whenever the columns lack one, so built-in types described by plain columns show it too.
 */
import { isRecord } from './schema-node.js';
import { evaluateJsonPath } from './table-jsonpath.js';
import { ageSince } from './table-time.js';

export { humanDuration } from './table-time.js';

import type { PrinterColumn } from './types.js';

export type { PrinterColumn };

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** A column and how the server computes its cell for one object at a given time. */
export interface ComputedColumn {
  definition: TableColumnDefinition;
  cell: (object: Readonly<Record<string, unknown>>, now: Date) => unknown;
}

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export const NAME_DESCRIPTION = 'Name must be unique within a namespace.';
export const AGE_DESCRIPTION = 'CreationTimestamp is a timestamp representing the server time when this object was created.';

export const metadataOf = (object: Readonly<Record<string, unknown>>): Record<string, unknown> => (isRecord(object.metadata) ? object.metadata : {});

export const nameColumn: ComputedColumn = {
  definition: { name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION, priority: 0 },
  cell: (object) => metadataOf(object).name ?? '',
};

const ageColumn: ComputedColumn = {
  definition: { name: 'Age', type: 'date', format: '', description: AGE_DESCRIPTION, priority: 0 },
  cell: (object, now) => ageSince(metadataOf(object).creationTimestamp, now),
};

/** A value as client-go's JSONPath printer prints it: strings raw, other values as JSON. */
function printed(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

type Convert = (value: unknown, now: Date) => unknown;

const CELL_CONVERTERS: Readonly<Record<string, Convert>> = {
  string: (value) => printed(value),
  integer: (value) => (typeof value === 'number' ? Math.trunc(value) : null),
  number: (value) => (typeof value === 'number' ? value : null),
  boolean: (value) => (typeof value === 'boolean' ? value : null),
  date: (value, now) => (typeof value === 'string' ? ageSince(value, now) : null),
};

/** apiextensions-apiserver's `cellForJSONValue`: the cell for a JSON value under a column type. */
export function cellFor(type: string, value: unknown, now: Date): unknown {
  if (value === null || value === undefined) return null;
  const convert = CELL_CONVERTERS[type];
  return convert === undefined ? null : convert(value, now);
}

function printerColumn(column: PrinterColumn): ComputedColumn {
  return {
    definition: {
      name: column.name,
      type: column.type,
      format: column.format ?? '',
      description: column.description ?? `Custom resource definition column (in JSONPath format): ${column.jsonPath}`,
      priority: column.priority ?? 0,
    },
    cell: (object, now) => cellFor(column.type, evaluateJsonPath(object, column.jsonPath)[0], now),
  };
}

const isAgeColumn = (column: PrinterColumn): boolean =>
  column.name.toLowerCase() === 'age' || column.jsonPath.replace(/^\{|\}$/g, '') === '.metadata.creationTimestamp';

/** The columns of a custom resource's table: Name, the printer columns, and Age unless already there. */
export function columnsFor(columns: readonly PrinterColumn[] | undefined): ComputedColumn[] {
  const given = columns ?? [];
  const age = given.some(isAgeColumn) ? [] : [ageColumn];
  return [nameColumn, ...given.map(printerColumn), ...age];
}

function partialObjectMetadata(object: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: metadataOf(object) };
}

/** A `Table` of `objects` with the given columns, computed at `now`. */
export function tableOf(
  objects: readonly unknown[],
  columns: readonly ComputedColumn[],
  listMeta: ListMeta = {},
  now: Date = new Date(),
): Record<string, unknown> {
  const rows = objects.filter(isRecord).map((object) => ({
    cells: columns.map((column) => column.cell(object, now) ?? null),
    object: partialObjectMetadata(object),
  }));
  const metadata: Record<string, unknown> = {};
  if (listMeta.resourceVersion !== undefined) metadata.resourceVersion = listMeta.resourceVersion;
  if (listMeta.continue !== undefined) metadata.continue = listMeta.continue;
  if (listMeta.remainingItemCount !== undefined) metadata.remainingItemCount = listMeta.remainingItemCount;
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata, columnDefinitions: columns.map((c) => c.definition), rows };
}

/** The `Table` for custom resources (or any type described by printer columns). */
export function toTable(objects: unknown[], columns: PrinterColumn[] | undefined, listMeta?: { resourceVersion?: string }, now?: Date): unknown {
  return tableOf(objects, columnsFor(columns), listMeta, now);
}
