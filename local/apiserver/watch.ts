/**
 * Watch streams: newline-delimited `{type, object}` events. Without a resourceVersion (or "0") the
 * current objects come first as ADDED; with one, the events after it are replayed from the window
 * (an ERROR event carrying a 410 Status when it is too old). Selectors turn an edit that makes an
 * object match (or stop matching) into ADDED (or DELETED), like a real server. Bookmarks, timeouts
 * and `sendInitialEvents` are supported.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { keyOfType, present, type ServerContext, type Target } from './context.js';
import { asApiError, badRequest } from './errors.js';
import type { Representation } from './http-util.js';
import { selectorOf, tableOf } from './reads.js';
import type { Selector } from './selectors.js';
import type { StoreEvent } from './store.js';
import type { KubeObject } from './types.js';
import { groupVersion } from './types.js';
import type { WatchHub } from './watch-hub.js';

export interface WatchQuery {
  resourceVersion: string | null;
  labelSelector: string | null;
  fieldSelector: string | null;
  timeoutSeconds: string | null;
  allowWatchBookmarks: boolean;
  sendInitialEvents: boolean;
}

export interface WatchSettings {
  hub: WatchHub;
  bookmarkIntervalMs: number;
  defaultTimeoutSeconds: number;
}

type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

interface Stream {
  target: Target;
  representation: Representation;
  response: ServerResponse;
  key: string;
  /** undefined: every namespace. */
  namespace: string | undefined;
  matches: Selector;
}

function write(stream: Stream, type: WatchType, object: KubeObject | Record<string, unknown>): void {
  let body: unknown = object;
  if (type !== 'BOOKMARK' && type !== 'ERROR') {
    const kubeObject = object as KubeObject;
    body =
      stream.representation.kind === 'table'
        ? tableOf(stream.target, [kubeObject], stream.representation, { resourceVersion: kubeObject.metadata.resourceVersion ?? '' })
        : present(stream.target, kubeObject);
  }
  // A watch ended by its timeout closes a moment later: a bookmark or event in between is dropped.
  if (stream.response.writableEnded || stream.response.destroyed) return;
  stream.response.write(`${JSON.stringify({ type, object: body })}\n`);
}

function bookmark(stream: Stream, resourceVersion: number, annotations?: Record<string, string>): void {
  const { type } = stream.target;
  write(stream, 'BOOKMARK', {
    kind: type.kind,
    apiVersion: groupVersion(type.group, stream.target.version.name),
    metadata: { resourceVersion: String(resourceVersion), ...(annotations === undefined ? {} : { annotations }) },
  });
}

/** What a watcher with this selector should see of a change (undefined: nothing). */
function visible(event: StoreEvent, matches: Selector): WatchType | undefined {
  if (event.type !== 'MODIFIED') return matches(event.object) ? event.type : undefined;
  const before = event.previous !== undefined && matches(event.previous);
  const after = matches(event.object);
  if (before && after) return 'MODIFIED';
  if (after) return 'ADDED';
  return before ? 'DELETED' : undefined;
}

function deliver(stream: Stream, event: StoreEvent): void {
  if (event.typeKey !== stream.key) return;
  if (stream.namespace !== undefined && event.object.metadata.namespace !== stream.namespace) return;
  const type = visible(event, stream.matches);
  if (type !== undefined) write(stream, type, event.object);
}

function parseVersion(text: string | null): number | undefined {
  if (text === null || text === '' || text === '0') return undefined;
  if (!/^[0-9]+$/.test(text)) throw badRequest(`resourceVersion "${text}" is not valid: it must be a resourceVersion this server returned`);
  return Number(text);
}

function timeoutOf(text: string | null, fallback: number): number {
  if (text === null || text === '') return fallback;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0) throw badRequest(`timeoutSeconds must be a non-negative number, not "${text}"`);
  return seconds;
}

/** Sends the window's events after `from` (410 Gone as an ERROR event when too old), then live ones. */
function subscribe(hub: WatchHub, stream: Stream, from: number): (() => void) | undefined {
  try {
    const { replay, unsubscribe } = hub.subscribe(from, (event) => {
      deliver(stream, event);
    });
    for (const event of replay) deliver(stream, event);
    return unsubscribe;
  } catch (error: unknown) {
    write(stream, 'ERROR', asApiError(error).toStatus());
    stream.response.end();
    return undefined;
  }
}

function sendInitial(context: ServerContext, stream: Stream, endMarker: boolean): void {
  for (const object of context.store.list(stream.key, stream.namespace).filter(stream.matches)) write(stream, 'ADDED', object);
  if (endMarker) bookmark(stream, context.store.resourceVersion, { 'k8s.io/initial-events-end': 'true' });
}

export function serveWatch(
  context: ServerContext,
  settings: WatchSettings,
  request: { target: Target; query: WatchQuery; representation: Representation },
  http: { req: IncomingMessage; res: ServerResponse },
): void {
  const { target, query } = request;
  const from = parseVersion(query.resourceVersion);
  const timeout = timeoutOf(query.timeoutSeconds, settings.defaultTimeoutSeconds);
  const namespace = target.type.namespaced && target.namespace !== '' ? target.namespace : undefined;
  const stream: Stream = {
    target,
    representation: request.representation,
    response: http.res,
    key: keyOfType(target.type),
    namespace,
    matches: selectorOf(query),
  };
  http.res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache' });
  http.res.flushHeaders();
  // Initial objects and the subscription are taken in the same turn: no change can fall between them.
  if (from === undefined) sendInitial(context, stream, query.sendInitialEvents);
  const unsubscribe = subscribe(settings.hub, stream, from ?? context.store.resourceVersion);
  if (unsubscribe === undefined) return;
  const timers = [
    setTimeout(() => {
      close();
      http.res.end();
    }, timeout * 1000),
  ];
  if (query.allowWatchBookmarks)
    timers.push(
      setInterval(() => {
        bookmark(stream, context.store.resourceVersion);
      }, settings.bookmarkIntervalMs),
    );
  const close = (): void => {
    unsubscribe();
    for (const timer of timers) clearTimeout(timer);
  };
  http.res.on('close', close);
  http.req.on('close', close);
}
