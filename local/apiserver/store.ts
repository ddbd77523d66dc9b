/**
 * The object store: every object in memory, indexed by type, uid and owner; one global
 * resourceVersion counter; every change logged to the write-ahead log. Changes become visible to
 * watchers only after `commit()` has made them durable, in the order they were made.
 */
import type { DurableState, WriteAheadLog } from './wal.js';
import type { KubeObject } from './types.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  typeKey: string;
  resourceVersion: number;
  object: KubeObject;
  /** The state before a MODIFIED event (selectors need it to turn edits into ADDED/DELETED). */
  previous?: KubeObject;
}

export interface StoredRef {
  typeKey: string;
  object: KubeObject;
}

/** Compaction runs after this many logged changes, or this many bytes of log, whichever comes first. */
const COMPACT_AFTER = 50_000;
const COMPACT_AFTER_BYTES = 64 * 1024 * 1024;

/** What a change replaced, to undo it when its batch cannot be written. */
interface Undo {
  key: string;
  previous: KubeObject | undefined;
}

export const objectKey = (typeKey: string, namespace: string, name: string): string => `${typeKey}/${namespace}/${name}`;

const typeOfKey = (key: string): string => key.slice(0, key.indexOf('/'));

export class Store {
  private readonly state: DurableState;
  private readonly wal: WriteAheadLog;
  private readonly byType = new Map<string, Map<string, KubeObject>>();
  private readonly byUid = new Map<string, string>();
  private readonly byOwner = new Map<string, Set<string>>();
  /** Changes per type since start (caches of derived data, such as RBAC rules, watch them). */
  private readonly changes = new Map<string, number>();
  private events: StoreEvent[] = [];
  /** The changes since the last successful flush, oldest first, and the resourceVersion before them. */
  private undo: Undo[] = [];
  private rvBeforeBatch: number | undefined;
  private waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  private scheduled = false;
  private readonly listeners: Array<(events: StoreEvent[]) => void> = [];

  constructor(wal: WriteAheadLog, state: DurableState) {
    this.wal = wal;
    this.state = state;
    for (const [key, object] of state.objects) this.index(key, object);
  }

  get resourceVersion(): number {
    return this.state.resourceVersion;
  }

  get(typeKey: string, namespace: string, name: string): KubeObject | undefined {
    return this.byType.get(typeKey)?.get(objectKey(typeKey, namespace, name));
  }

  /** Objects of one type, in one namespace or (namespace undefined) all, sorted by namespace and name. */
  list(typeKey: string, namespace?: string): KubeObject[] {
    const objects = [...(this.byType.get(typeKey)?.values() ?? [])];
    const selected = namespace === undefined ? objects : objects.filter((o) => (o.metadata.namespace ?? '') === namespace);
    return selected.sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
  }

  /** How many times objects of the type were stored or removed since the server started. */
  changesOf(typeKey: string): number {
    return this.changes.get(typeKey) ?? 0;
  }

  countInNamespace(namespace: string): number {
    let count = 0;
    for (const objects of this.byType.values()) for (const o of objects.values()) if (o.metadata.namespace === namespace) count += 1;
    return count;
  }

  inNamespace(namespace: string): StoredRef[] {
    const out: StoredRef[] = [];
    for (const [typeKey, objects] of this.byType) {
      for (const object of objects.values()) if (object.metadata.namespace === namespace) out.push({ typeKey, object });
    }
    return out;
  }

  findUid(uid: string): StoredRef | undefined {
    const key = this.byUid.get(uid);
    const object = key === undefined ? undefined : this.state.objects.get(key);
    return key === undefined || object === undefined ? undefined : { typeKey: typeOfKey(key), object };
  }

  /** Objects whose ownerReferences name this uid. */
  dependents(ownerUid: string): StoredRef[] {
    const keys = [...(this.byOwner.get(ownerUid) ?? [])];
    return keys.flatMap((key) => {
      const object = this.state.objects.get(key);
      return object === undefined ? [] : [{ typeKey: typeOfKey(key), object }];
    });
  }

  /** Stores a new state of an object (ADDED when it did not exist), stamping the next resourceVersion. */
  put(typeKey: string, object: KubeObject): KubeObject {
    const key = objectKey(typeKey, object.metadata.namespace ?? '', object.metadata.name ?? '');
    const previous = this.state.objects.get(key);
    this.remember(key, previous);
    const rv = this.state.resourceVersion + 1;
    this.changes.set(typeKey, this.changesOf(typeKey) + 1);
    const stored: KubeObject = { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } };
    this.state.resourceVersion = rv;
    if (previous !== undefined) this.unindex(key, previous);
    this.state.objects.set(key, stored);
    this.index(key, stored);
    this.wal.append({ rv, key, object: stored });
    const event: StoreEvent = { type: previous === undefined ? 'ADDED' : 'MODIFIED', typeKey, resourceVersion: rv, object: stored };
    this.events.push(previous === undefined ? event : { ...event, previous });
    return stored;
  }

  /** Removes an object; the DELETED event carries its last state with a new resourceVersion. */
  remove(typeKey: string, object: KubeObject): KubeObject | undefined {
    const key = objectKey(typeKey, object.metadata.namespace ?? '', object.metadata.name ?? '');
    const previous = this.state.objects.get(key);
    if (previous === undefined) return undefined;
    this.remember(key, previous);
    this.changes.set(typeKey, this.changesOf(typeKey) + 1);
    const rv = this.state.resourceVersion + 1;
    this.state.resourceVersion = rv;
    this.unindex(key, previous);
    this.state.objects.delete(key);
    this.wal.append({ rv, key });
    const final: KubeObject = { ...previous, metadata: { ...previous.metadata, resourceVersion: String(rv) } };
    this.events.push({ type: 'DELETED', typeKey, resourceVersion: rv, object: final });
    return final;
  }

  onCommit(listener: (events: StoreEvent[]) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Resolves once every change made so far is on disk and published to watchers. Changes made in the
   * same turn of the event loop share one fdatasync (group commit).
   */
  commit(): Promise<void> {
    if (this.events.length === 0 && !this.wal.hasPending) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
    });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.flush();
      });
    }
    return done;
  }

  /** Flushes synchronously (used at shutdown) and writes a final snapshot. */
  close(): void {
    this.flush();
    this.wal.close(this.state);
  }

  private flush(): void {
    this.scheduled = false;
    const waiters = this.waiters;
    const events = this.events;
    this.waiters = [];
    this.events = [];
    try {
      this.wal.flush();
    } catch (error: unknown) {
      // Nothing of the batch counts: memory goes back to what the log holds, nobody hears of it.
      this.rollBack();
      for (const waiter of waiters) waiter.reject(new Error('the write-ahead log could not be written', { cause: error }));
      return;
    }
    this.undo = [];
    this.rvBeforeBatch = undefined;
    try {
      if (this.wal.size >= COMPACT_AFTER || this.wal.byteSize >= COMPACT_AFTER_BYTES) this.wal.compact(this.state);
    } catch {
      // the batch is durable in the log; compaction is tried again after the next one
    }
    if (events.length > 0) for (const listener of this.listeners) listener(events);
    for (const waiter of waiters) waiter.resolve();
  }

  private remember(key: string, previous: KubeObject | undefined): void {
    this.rvBeforeBatch ??= this.state.resourceVersion;
    this.undo.push({ key, previous });
  }

  /** Undoes every change since the last successful flush, newest first. */
  private rollBack(): void {
    for (const { key, previous } of this.undo.reverse()) {
      const current = this.state.objects.get(key);
      if (current !== undefined) this.unindex(key, current);
      if (previous === undefined) this.state.objects.delete(key);
      else {
        this.state.objects.set(key, previous);
        this.index(key, previous);
      }
      const typeKey = typeOfKey(key);
      this.changes.set(typeKey, this.changesOf(typeKey) + 1);
    }
    if (this.rvBeforeBatch !== undefined) this.state.resourceVersion = this.rvBeforeBatch;
    this.undo = [];
    this.rvBeforeBatch = undefined;
  }

  /** Tests: the next `count` batches fail to be written, as with a full disk. */
  failNextWrites(count: number): void {
    this.wal.failNextFlushes(count);
  }

  private index(key: string, object: KubeObject): void {
    const typeKey = typeOfKey(key);
    let objects = this.byType.get(typeKey);
    if (objects === undefined) {
      objects = new Map();
      this.byType.set(typeKey, objects);
    }
    objects.set(key, object);
    if (object.metadata.uid !== undefined) this.byUid.set(object.metadata.uid, key);
    for (const owner of object.metadata.ownerReferences ?? []) {
      const set = this.byOwner.get(owner.uid) ?? new Set<string>();
      set.add(key);
      this.byOwner.set(owner.uid, set);
    }
  }

  private unindex(key: string, object: KubeObject): void {
    this.byType.get(typeOfKey(key))?.delete(key);
    if (object.metadata.uid !== undefined) this.byUid.delete(object.metadata.uid);
    for (const owner of object.metadata.ownerReferences ?? []) {
      const set = this.byOwner.get(owner.uid);
      set?.delete(key);
      if (set?.size === 0) this.byOwner.delete(owner.uid);
    }
  }
}

const keyOf = (object: KubeObject): string => `${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
