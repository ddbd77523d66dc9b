/**
 * List, then watch, one collection of an API server, the way client-go's Reflector (which Knative's
 * ApiServerSource runs on) does: the first list only learns what exists; watch events after it are
 * reported; a watch that expires (410 Gone) or fails is replaced by a fresh list and a new watch, and
 * what changed in between is reported as missed (Knative emits nothing for it either).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { KubeTransport } from './kube-transport.js';

export type WatchAction = 'add' | 'update' | 'delete';

export interface WatchedObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface MissedChanges {
  added: string[];
  updated: string[];
  deleted: string[];
}

export interface WatchHandlers {
  onEvent(action: WatchAction, object: WatchedObject): Promise<void>;
  /** After a relist: the changes no event was emitted for (empty lists when nothing was missed). */
  onRelist(missed: MissedChanges): void;
  onError(message: string): void;
}

export interface ResourceWatch {
  /** Resolves once the first list is done: changes after that are reported. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

const ACTIONS: Readonly<Record<string, WatchAction>> = { ADDED: 'add', MODIFIED: 'update', DELETED: 'delete' };
const HEALTHY_MS = 1000;
const MAX_BACKOFF_MS = 30_000;

const isObject = (value: unknown): value is WatchedObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const keyOf = (object: WatchedObject): string => `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`.replace(/^\//, '');

class Expired extends Error {}

class Watcher {
  private readonly known = new Map<string, { key: string; version: string }>();
  private readonly controller = new AbortController();
  private resourceVersion = '';
  private listed = false;
  private readonly transport: KubeTransport;
  private readonly path: string;
  private readonly handlers: WatchHandlers;

  constructor(transport: KubeTransport, path: string, handlers: WatchHandlers) {
    this.transport = transport;
    this.path = path;
    this.handlers = handlers;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(): void {
    this.controller.abort();
  }

  stopped(): boolean {
    return this.controller.signal.aborted;
  }

  private url(query: Record<string, string>): string {
    const [base = '', existing = ''] = this.path.split('?');
    const params = new URLSearchParams(existing);
    for (const [name, value] of Object.entries(query)) params.set(name, value);
    return `${base}?${params.toString()}`;
  }

  private remember(object: WatchedObject, action: WatchAction | 'list'): void {
    const uid = object.metadata?.uid ?? keyOf(object);
    if (action === 'delete') this.known.delete(uid);
    else this.known.set(uid, { key: keyOf(object), version: object.metadata?.resourceVersion ?? '' });
  }

  async list(): Promise<void> {
    const body = await this.transport.getJson(this.url({}), this.signal);
    const record = isObject(body) ? body : {};
    const items = Array.isArray(record.items) ? record.items.filter(isObject) : [];
    const before = new Map(this.known);
    this.known.clear();
    for (const item of items) this.remember(item, 'list');
    this.resourceVersion = record.metadata?.resourceVersion ?? '';
    if (this.listed) this.handlers.onRelist(diff(before, this.known));
    this.listed = true;
  }

  private async handleLine(line: string): Promise<void> {
    const event: unknown = JSON.parse(line);
    if (!isObject(event) || !isObject(event.object)) return;
    const { type, object } = event;
    if (type === 'ERROR') {
      const status = object as { code?: unknown; message?: unknown };
      if (status.code === 410) throw new Expired();
      throw new Error(`watch error: ${typeof status.message === 'string' ? status.message : JSON.stringify(object)}`);
    }
    const version = object.metadata?.resourceVersion;
    if (version !== undefined && version !== '') this.resourceVersion = version;
    const action = ACTIONS[String(type)];
    if (action === undefined) return; // BOOKMARK
    this.remember(object, action);
    await this.handlers.onEvent(action, object);
  }

  /** Watches from the last resourceVersion until the stream ends; false when it expired (410: relist). */
  async watch(): Promise<boolean> {
    const started = Date.now();
    try {
      const query = { watch: '1', allowWatchBookmarks: 'true', timeoutSeconds: '300', resourceVersion: this.resourceVersion };
      for await (const line of this.transport.lines(this.url(query), this.signal)) await this.handleLine(line);
    } catch (error: unknown) {
      if (error instanceof Expired) return false;
      throw error;
    }
    // A watch normally lasts until its timeout; one that ends at once points at a problem: back off.
    if (Date.now() - started < HEALTHY_MS) throw new Error('the watch ended at once');
    return true;
  }
}

function diff(before: ReadonlyMap<string, { key: string; version: string }>, after: ReadonlyMap<string, { key: string; version: string }>): MissedChanges {
  const missed: MissedChanges = { added: [], updated: [], deleted: [] };
  for (const [uid, now] of after) {
    const then = before.get(uid);
    if (then === undefined) missed.added.push(now.key);
    else if (then.version !== now.version) missed.updated.push(now.key);
  }
  for (const [uid, then] of before) if (!after.has(uid)) missed.deleted.push(then.key);
  return missed;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Lists and watches `path` (a collection path, optionally with `?labelSelector=…`) until stopped. */
export function startResourceWatch(transport: KubeTransport, path: string, handlers: WatchHandlers, retryDelayMs = 1000): ResourceWatch {
  const watcher = new Watcher(transport, path, handlers);
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const loop = (async () => {
    let failures = 0;
    while (!watcher.stopped()) {
      try {
        await watcher.list();
        markReady();
        while (await watcher.watch());
        failures = 0;
      } catch (error: unknown) {
        if (watcher.stopped()) return;
        failures += 1;
        handlers.onError(`${path}: ${message(error)}; listing again`);
      }
      if (failures > 0) await delay(Math.min(retryDelayMs * 2 ** (failures - 1), MAX_BACKOFF_MS), undefined, { signal: watcher.signal }).catch(() => undefined);
    }
  })();
  return {
    ready,
    stop: async () => {
      watcher.abort();
      markReady();
      await loop;
    },
  };
}
