/**
 * get and list: selectors, `limit`/`continue` paging over the name-sorted list (each page reads the
 * current state, not a snapshot of the first page's resourceVersion), and Table rendering for kubectl.
 */
import { existing, keyOfType, present, type ServerContext, type Target } from './context.js';
import { badRequest } from './errors.js';
import type { Representation } from './http-util.js';
import { parseFieldSelector, parseLabelSelector, type Selector } from './selectors.js';
import { toTable } from './table.js';
import { builtinTable } from './table-builtins.js';
import type { KubeObject } from './types.js';
import { groupVersion, isRecord } from './types.js';

export interface ListQuery {
  labelSelector: string | null;
  fieldSelector: string | null;
  limit: string | null;
  continueToken: string | null;
}

export function selectorOf(query: Pick<ListQuery, 'labelSelector' | 'fieldSelector'>): Selector {
  const labels = parseLabelSelector(query.labelSelector);
  const fields = parseFieldSelector(query.fieldSelector);
  return (object) => labels(object) && fields(object);
}

/** Renders objects as a meta.k8s.io Table: a CRD's printer columns, or kubectl's usual columns for built-ins. */
export function tableOf(
  target: Pick<Target, 'type' | 'version'>,
  objects: KubeObject[],
  representation: Representation,
  listMeta: { resourceVersion: string; continue?: string },
): unknown {
  const presented = objects.map((o) => present(target, o));
  const table = target.type.custom ? toTable(presented, target.version.printerColumns, listMeta) : builtinTable(keyOfType(target.type), presented, listMeta);
  if (representation.kind === 'table' && representation.version === 'v1beta1' && isRecord(table)) return { ...table, apiVersion: 'meta.k8s.io/v1beta1' };
  return table;
}

export function getObject(context: ServerContext, target: Target, representation: Representation): unknown {
  const object = existing(context, target);
  if (representation.kind === 'table') return tableOf(target, [object], representation, { resourceVersion: object.metadata.resourceVersion ?? '' });
  return present(target, object);
}

const keyOf = (object: KubeObject): string => `${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;

function decodeContinue(token: string): string {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (isRecord(value) && typeof value.after === 'string') return value.after;
  } catch {
    // Reported below.
  }
  throw badRequest(`the continue token "${token}" is not valid: it must come from a previous list response`);
}

function limitOf(text: string | null): number {
  const limit = text === null || text === '' ? 0 : Number(text);
  if (!Number.isInteger(limit) || limit < 0) throw badRequest(`limit must be a non-negative integer, not "${text ?? ''}"`);
  return limit;
}

function page(objects: KubeObject[], query: ListQuery): { items: KubeObject[]; next?: string; remaining?: number } {
  const token = query.continueToken ?? '';
  const after = token === '' ? undefined : decodeContinue(token);
  const start = after === undefined ? objects : objects.filter((o) => keyOf(o) > after);
  const limit = limitOf(query.limit);
  if (limit === 0 || start.length <= limit) return { items: start };
  const items = start.slice(0, limit);
  const last = items[items.length - 1];
  const next = Buffer.from(JSON.stringify({ after: last === undefined ? '' : keyOf(last) })).toString('base64url');
  return { items, next, remaining: start.length - limit };
}

/** The list (or Table) for a collection; `target.namespace === ''` on a namespaced type lists all namespaces. */
export function listObjects(context: ServerContext, target: Target, query: ListQuery, representation: Representation): unknown {
  const matches = selectorOf(query);
  const namespace = target.type.namespaced && target.namespace !== '' ? target.namespace : undefined;
  const all = context.store.list(keyOfType(target.type), namespace).filter(matches);
  const resourceVersion = String(context.store.resourceVersion);
  const { items, next, remaining } = page(all, query);
  if (representation.kind === 'table') return tableOf(target, items, representation, { resourceVersion, ...(next === undefined ? {} : { continue: next }) });
  const metadata = { resourceVersion, ...(next === undefined ? {} : { continue: next, remainingItemCount: remaining }) };
  return {
    apiVersion: groupVersion(target.type.group, target.version.name),
    kind: target.type.listKind,
    metadata,
    items: items.map((o) => present(target, o)),
  };
}
