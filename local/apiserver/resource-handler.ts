/**
 * The REST verbs on resource paths: GET (get, list, watch), POST (create), PUT (update), PATCH,
 * DELETE (delete, deletecollection). A write is acknowledged only after it is on disk.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseFieldValidation } from './admission.js';
import { keyOfType, present, type ServerContext, type Target } from './context.js';
import { deleteObject, type DeleteOptions, type Propagation } from './deletion.js';
import { badRequest, methodNotAllowed, pathNotFound, type ApiError } from './errors.js';
import type { FaultInjector } from './faults.js';
import { negotiate, parseObjectBody, readBody, sendJson, type Representation } from './http-util.js';
import { parseJsonBody, patchTypeOf } from './patch-types.js';
import { getObject, listObjects, selectorOf, type ListQuery } from './reads.js';
import type { Registry } from './registry.js';
import type { ResourceRoute } from './routes.js';
import { groupVersion, isRecord } from './types.js';
import { serveWatch, type WatchSettings } from './watch.js';
import { create, patch, update, type WriteOptions, type WriteResult } from './writes.js';

export interface ResourceDeps {
  context: ServerContext;
  watch: WatchSettings;
  /** Injected 409s for tests (faults.ts); absent: none. */
  faults?: FaultInjector;
}

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
}

function resolveTarget(registry: Registry, route: ResourceRoute): Target {
  const resolved = registry.resolve(route.group, route.version, route.plural);
  if (resolved === undefined) throw pathNotFound();
  const { type, version } = resolved;
  if (!scopeFits(type.namespaced, route) || !subresourceFits(type.statusSubresource, route)) throw pathNotFound();
  const target: Target = { type, version, namespace: route.namespace ?? '' };
  if (route.name !== undefined) target.name = route.name;
  if (route.subresource === 'status') target.subresource = 'status';
  return target;
}

const scopeFits = (namespaced: boolean, route: ResourceRoute): boolean =>
  namespaced ? route.namespace !== undefined || route.name === undefined : route.namespace === undefined;

const subresourceFits = (hasStatus: boolean, route: ResourceRoute): boolean =>
  route.subresource === undefined || (route.subresource === 'status' && hasStatus && route.name !== undefined);

const flag = (url: URL, name: string): boolean => ['true', '1'].includes(url.searchParams.get(name) ?? '');

function dryRunOf(values: readonly string[]): boolean {
  for (const value of values) if (value !== 'All') throw badRequest(`dryRun must be "All", not "${value}"`);
  return values.length > 0;
}

function writeOptions(url: URL): WriteOptions {
  const manager = url.searchParams.get('fieldManager');
  return {
    dryRun: dryRunOf(url.searchParams.getAll('dryRun')),
    fieldValidation: parseFieldValidation(url.searchParams.get('fieldValidation')),
    ...(manager === null ? {} : { fieldManager: manager }),
    force: flag(url, 'force'),
  };
}

function listQuery(url: URL): ListQuery {
  const p = url.searchParams;
  return { labelSelector: p.get('labelSelector'), fieldSelector: p.get('fieldSelector'), limit: p.get('limit'), continueToken: p.get('continue') };
}

function handleGet(deps: ResourceDeps, target: Target, exchange: Exchange, representation: Representation): void {
  const p = exchange.url.searchParams;
  const watching = flag(exchange.url, 'watch');
  if (!watching) {
    const body =
      target.name === undefined ? listObjects(deps.context, target, listQuery(exchange.url), representation) : getObject(deps.context, target, representation);
    sendJson(exchange.res, 200, body);
    return;
  }
  const byName = target.name === undefined ? '' : `metadata.name=${target.name}`;
  const fieldSelector = [p.get('fieldSelector') ?? '', byName].filter((s) => s !== '').join(',');
  const query = {
    resourceVersion: p.get('resourceVersion'),
    labelSelector: p.get('labelSelector'),
    fieldSelector,
    timeoutSeconds: p.get('timeoutSeconds'),
    allowWatchBookmarks: flag(exchange.url, 'allowWatchBookmarks'),
    sendInitialEvents: flag(exchange.url, 'sendInitialEvents'),
  };
  const collection: Target = { ...target };
  delete collection.name;
  serveWatch(deps.context, deps.watch, { target: collection, query, representation }, exchange);
}

function propagationOf(body: Record<string, unknown>, url: URL): Propagation {
  const value = url.searchParams.get('propagationPolicy') ?? body.propagationPolicy;
  if (value === undefined || value === null || value === '') return flag(url, 'orphanDependents') || body.orphanDependents === true ? 'Orphan' : 'Background';
  if (value === 'Background' || value === 'Foreground' || value === 'Orphan') return value;
  throw badRequest(`propagationPolicy must be Background, Foreground or Orphan, not ${JSON.stringify(value)}`);
}

async function deleteOptions(exchange: Exchange): Promise<DeleteOptions> {
  const raw = (await readBody(exchange.req)).toString('utf8');
  const body = raw.trim() === '' ? {} : parseJsonBody(raw);
  if (!isRecord(body)) throw badRequest('the DeleteOptions body must be a JSON object');
  const preconditions = isRecord(body.preconditions) ? body.preconditions : {};
  const bodyDryRun = Array.isArray(body.dryRun) ? body.dryRun.filter((v): v is string => typeof v === 'string') : [];
  return {
    propagation: propagationOf(body, exchange.url),
    preconditions: {
      ...(typeof preconditions.uid === 'string' ? { uid: preconditions.uid } : {}),
      ...(typeof preconditions.resourceVersion === 'string' ? { resourceVersion: preconditions.resourceVersion } : {}),
    },
    dryRun: dryRunOf([...exchange.url.searchParams.getAll('dryRun'), ...bodyDryRun]),
  };
}

async function handleDelete(deps: ResourceDeps, target: Target, exchange: Exchange): Promise<void> {
  const options = await deleteOptions(exchange);
  if (target.name !== undefined) {
    const object = deleteObject(deps.context, target, options);
    await deps.context.store.commit();
    sendJson(exchange.res, 200, present(target, object));
    return;
  }
  const matches = selectorOf(listQuery(exchange.url));
  const doomed = deps.context.store.list(keyOfType(target.type), target.namespace === '' ? undefined : target.namespace).filter(matches);
  const items = doomed.flatMap((object) => {
    const name = object.metadata.name ?? '';
    return deps.context.store.get(keyOfType(target.type), target.namespace, name) === undefined
      ? []
      : [deleteObject(deps.context, { ...target, name }, options)];
  });
  await deps.context.store.commit();
  sendJson(exchange.res, 200, {
    apiVersion: groupVersion(target.type.group, target.version.name),
    kind: target.type.listKind,
    metadata: { resourceVersion: String(deps.context.store.resourceVersion) },
    items: items.map((o) => present(target, o)),
  });
}

function writeAllowed(target: Target, method: string): boolean {
  if (method === 'POST') return target.name === undefined && !(target.type.namespaced && target.namespace === '');
  return target.name !== undefined;
}

/** The 409 the faults inject into this update or patch, if they choose it; only for an object that exists. */
function injectedFault(deps: ResourceDeps, target: Target, exchange: Exchange, method: string): ApiError | undefined {
  const { name } = target;
  if (deps.faults === undefined || method === 'POST' || name === undefined) return undefined;
  if (deps.context.store.get(keyOfType(target.type), target.namespace, name) === undefined) return undefined;
  const verb = method === 'PUT' ? 'update' : 'patch';
  return deps.faults.conflictFor({
    verb,
    resource: target.type,
    subresource: target.subresource ?? '',
    namespace: target.namespace,
    name,
    userAgent: exchange.req.headers['user-agent'],
  });
}

async function handleWrite(deps: ResourceDeps, target: Target, exchange: Exchange, method: string): Promise<void> {
  if (!writeAllowed(target, method)) throw methodNotAllowed(method);
  const options = writeOptions(exchange.url);
  const contentType = exchange.req.headers['content-type'] ?? '';
  const patchType = method === 'PATCH' ? patchTypeOf(contentType, target.type) : undefined;
  const raw = await readBody(exchange.req);
  const fault = injectedFault(deps, target, exchange, method);
  if (fault !== undefined) throw fault;
  let result: WriteResult;
  if (patchType !== undefined) result = patch(deps.context, target, { patchType, raw: raw.toString('utf8') }, options);
  else if (method === 'POST') result = create(deps.context, target, parseObjectBody(contentType, raw), options);
  else result = update(deps.context, target, parseObjectBody(contentType, raw), options);
  await deps.context.store.commit();
  sendJson(exchange.res, result.created ? 201 : 200, present(target, result.object), result.warnings);
}

const WRITES = new Set(['POST', 'PUT', 'PATCH']);

export async function handleResource(deps: ResourceDeps, route: ResourceRoute, exchange: Exchange): Promise<void> {
  const target = resolveTarget(deps.context.registry, route);
  const method = (exchange.req.method ?? 'GET').toUpperCase();
  if (method === 'GET' || method === 'HEAD') {
    if (route.watchPrefix) exchange.url.searchParams.set('watch', 'true');
    handleGet(deps, target, exchange, negotiate(exchange.req.headers.accept));
  } else if (method === 'DELETE') {
    if (target.subresource !== undefined || (target.type.namespaced && target.namespace === '')) throw methodNotAllowed(method);
    await handleDelete(deps, target, exchange);
  } else if (WRITES.has(method)) {
    await handleWrite(deps, target, exchange, method);
  } else {
    throw methodNotAllowed(method);
  }
}
