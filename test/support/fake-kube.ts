/**
 * An in-memory `Kube` for unit tests of function cores. It keeps the API server's rules that the cores
 * rely on: a global resourceVersion, 409 on a stale resourceVersion in a patch or status replace,
 * 409 AlreadyExists, status subresource isolation, generation bumps on spec changes, finalizers with
 * deletionTimestamp. It records every call so tests can assert the writes a core made.
 */
import { randomUUID } from 'node:crypto';
import type { DeleteOptions, Kube, KubeEvent, KubeObject, ListOptions, ObjectKey } from '../../shared/kube/types.js';

export interface KubeCall {
  verb: 'get' | 'list' | 'create' | 'apply' | 'mergePatch' | 'mergePatchStatus' | 'replaceStatus' | 'remove' | 'recordEvent';
  key: string;
  /** The user the call impersonated (absent: the function's own identity). */
  as?: string;
  /** A server-side dry run: answered as if done, nothing stored. */
  dryRun?: true;
}

/** Which impersonated calls a FakeKube answers 403 Forbidden (as RBAC would). */
export type ForbidRule = (call: { user: string; verb: KubeCall['verb']; key: ObjectKey }) => boolean;

export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  constructor(code: number, reason: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.reason = reason;
  }
}

const keyOf = (k: ObjectKey): string => `${k.apiVersion}/${k.kind}/${k.namespace ?? ''}/${k.name}`;
const clone = <T>(value: T): T => structuredClone(value);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7386 JSON merge patch. */
export function mergePatchValue(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) Reflect.deleteProperty(out, key);
    else out[key] = mergePatchValue(out[key], value);
  }
  return out;
}

function specOf(object: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = object;
  return JSON.stringify(rest);
}

export interface FakeKubeOptions {
  /** Answer the next N writes with 409 Conflict (to exercise retries). */
  conflictNextWrites?: number;
}

export class FakeKube implements Kube {
  readonly objects = new Map<string, KubeObject>();
  readonly events: KubeEvent[] = [];
  readonly calls: KubeCall[] = [];
  private revision = 1;
  private conflicts: number;
  /** Set by a test: impersonated calls it matches are refused with 403, nothing done. */
  forbid: ForbidRule | undefined;

  constructor(options: FakeKubeOptions = {}) {
    this.conflicts = options.conflictNextWrites ?? 0;
  }

  /** Seeds an object as if created by someone else (no call recorded). */
  seed(object: KubeObject): KubeObject {
    const stored = this.stamp(clone(object), undefined);
    this.objects.set(keyOf(this.keyFor(stored)), stored);
    return clone(stored);
  }

  failNextWrites(count: number): void {
    this.conflicts = count;
  }

  writes(): KubeCall[] {
    return this.calls.filter((c) => c.verb !== 'get' && c.verb !== 'list');
  }

  async get(key: ObjectKey): Promise<KubeObject | undefined> {
    this.calls.push({ verb: 'get', key: keyOf(key) });
    await Promise.resolve();
    const found = this.objects.get(keyOf(key));
    return found === undefined ? undefined : clone(found);
  }

  async list(apiVersion: string, kind: string, options: ListOptions = {}): Promise<KubeObject[]> {
    this.calls.push({ verb: 'list', key: `${apiVersion}/${kind}/${options.namespace ?? ''}` });
    await Promise.resolve();
    const selector = parseSelector(options.labelSelector);
    return [...this.objects.values()]
      .filter((o) => o.apiVersion === apiVersion && o.kind === kind)
      .filter((o) => options.namespace === undefined || o.metadata.namespace === options.namespace)
      .filter((o) => selector.every((matches) => matches(o.metadata.labels ?? {})))
      .map(clone);
  }

  async create(object: KubeObject): Promise<KubeObject> {
    const key = this.keyFor(object);
    this.calls.push({ verb: 'create', key: keyOf(key) });
    await Promise.resolve();
    this.maybeConflict(key);
    if (this.objects.has(keyOf(key))) throw new ApiError(409, 'AlreadyExists', `${object.kind} "${key.name}" already exists`);
    const stored = this.stamp(clone(object), undefined);
    this.objects.set(keyOf(key), stored);
    return clone(stored);
  }

  async apply(object: KubeObject, _fieldManager: string): Promise<KubeObject> {
    const key = this.keyFor(object);
    this.calls.push({ verb: 'apply', key: keyOf(key) });
    await Promise.resolve();
    const current = this.objects.get(keyOf(key));
    const merged = current === undefined ? clone(object) : (mergePatchValue(current, object) as KubeObject);
    const stored = this.stamp(merged, current);
    this.objects.set(keyOf(key), stored);
    return clone(stored);
  }

  async mergePatch(key: ObjectKey, patch: Record<string, unknown>): Promise<KubeObject> {
    this.calls.push({ verb: 'mergePatch', key: keyOf(key) });
    await Promise.resolve();
    const current = this.current(key, patch);
    const { status: _ignored, ...mainPatch } = patch;
    const next = mergePatchValue(current, mainPatch) as KubeObject;
    next.status = current.status;
    return this.commit(key, next, current);
  }

  async mergePatchStatus(key: ObjectKey, patch: Record<string, unknown>): Promise<KubeObject> {
    this.calls.push({ verb: 'mergePatchStatus', key: keyOf(key) });
    await Promise.resolve();
    const current = this.current(key, patch);
    const next = clone(current);
    next.status = mergePatchValue(current.status, patch.status ?? {});
    return this.commit(key, next, current);
  }

  async replaceStatus(object: KubeObject): Promise<KubeObject> {
    const key = this.keyFor(object);
    this.calls.push({ verb: 'replaceStatus', key: keyOf(key) });
    await Promise.resolve();
    const current = this.current(key, object);
    const next = clone(current);
    next.status = clone(object.status);
    return this.commit(key, next, current);
  }

  async remove(key: ObjectKey, _options?: DeleteOptions): Promise<boolean> {
    this.calls.push({ verb: 'remove', key: keyOf(key) });
    await Promise.resolve();
    const current = this.objects.get(keyOf(key));
    if (current === undefined) return false;
    if ((current.metadata.finalizers ?? []).length > 0) {
      if (current.metadata.deletionTimestamp === undefined) {
        current.metadata.deletionTimestamp = new Date().toISOString();
        current.metadata.resourceVersion = String(++this.revision);
      }
      return true;
    }
    this.objects.delete(keyOf(key));
    return true;
  }

  /** The same store, each call recorded with `as: username` and refused with 403 when `forbid` says so. */
  impersonate(username: string): Kube {
    const run = <T>(verb: KubeCall['verb'], key: ObjectKey, call: () => Promise<T>): Promise<T> => {
      if (this.forbid?.({ user: username, verb, key }) === true) {
        this.calls.push({ verb, key: keyOf(key), as: username });
        const scope = key.namespace === undefined ? 'at the cluster scope' : `in the namespace "${key.namespace}"`;
        return Promise.reject(
          new ApiError(403, 'Forbidden', `${key.kind.toLowerCase()}s "${key.name}" is forbidden: User "${username}" cannot ${verb} it ${scope}`),
        );
      }
      const promise = call();
      const last = this.calls.at(-1);
      if (last !== undefined) last.as = username;
      return promise;
    };
    return {
      get: (key) => run('get', key, () => this.get(key)),
      list: (apiVersion, kind, options) =>
        run('list', { apiVersion, kind, name: '', namespace: options?.namespace }, () => this.list(apiVersion, kind, options)),
      create: (object) => run('create', objectKey(object), () => this.create(object)),
      apply: (object, manager) => run('apply', objectKey(object), () => this.apply(object, manager)),
      mergePatch: (key, patch) => run('mergePatch', key, () => this.mergePatch(key, patch)),
      mergePatchStatus: (key, patch) => run('mergePatchStatus', key, () => this.mergePatchStatus(key, patch)),
      replaceStatus: (object) => run('replaceStatus', objectKey(object), () => this.replaceStatus(object)),
      remove: (key, options) => run('remove', key, () => this.remove(key, options)),
      recordEvent: (event) => this.recordEvent(event),
      impersonate: (other) => this.impersonate(other),
      dryRun: () => this.dryRunOf(this.impersonate(username)),
    };
  }

  /** The same store, each write done and then undone: the answer of a dry run, nothing kept (the call marked `dryRun`). */
  dryRun(): Kube {
    return this.dryRunOf(this);
  }

  private dryRunOf(kube: Kube): Kube {
    const tried = async <T>(key: ObjectKey, write: () => Promise<T>): Promise<T> => {
      const id = keyOf(key);
      const before = this.objects.get(id);
      const count = this.calls.length;
      try {
        return await write();
      } finally {
        if (before === undefined) this.objects.delete(id);
        else this.objects.set(id, before);
        for (const call of this.calls.slice(count)) call.dryRun = true;
      }
    };
    return {
      get: (key) => kube.get(key),
      list: (apiVersion, kind, options) => kube.list(apiVersion, kind, options),
      create: (object) => tried(objectKey(object), () => kube.create(object)),
      apply: (object, manager) => tried(objectKey(object), () => kube.apply(object, manager)),
      mergePatch: (key, patch) => tried(key, () => kube.mergePatch(key, patch)),
      mergePatchStatus: (key, patch) => tried(key, () => kube.mergePatchStatus(key, patch)),
      replaceStatus: (object) => tried(objectKey(object), () => kube.replaceStatus(object)),
      remove: (key, options) => tried(key, () => kube.remove(key, options)),
      recordEvent: (event) => kube.recordEvent(event),
      impersonate: (other) => this.dryRunOf(this.impersonate(other)),
      dryRun: () => this.dryRunOf(kube),
    };
  }

  async recordEvent(event: KubeEvent): Promise<void> {
    this.calls.push({ verb: 'recordEvent', key: keyOf(event.regarding) });
    await Promise.resolve();
    this.events.push(clone(event));
  }

  private keyFor(object: KubeObject): ObjectKey {
    const name = object.metadata.name;
    if (name === undefined) throw new ApiError(422, 'Invalid', 'metadata.name: Required value');
    return { apiVersion: object.apiVersion, kind: object.kind, name, namespace: object.metadata.namespace };
  }

  private maybeConflict(key: ObjectKey): void {
    if (this.conflicts <= 0) return;
    this.conflicts -= 1;
    throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on "${key.name}": the object has been modified`);
  }

  /** The stored object, after the precondition checks a real API server makes. */
  private current(key: ObjectKey, patch: { metadata?: unknown }): KubeObject {
    this.maybeConflict(key);
    const current = this.objects.get(keyOf(key));
    if (current === undefined) throw new ApiError(404, 'NotFound', `${key.kind} "${key.name}" not found`);
    const wanted = isRecord(patch.metadata) ? patch.metadata.resourceVersion : undefined;
    if (typeof wanted === 'string' && wanted !== current.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on "${key.name}": the object has been modified`);
    }
    return current;
  }

  private commit(key: ObjectKey, next: KubeObject, current: KubeObject): KubeObject {
    const stored = this.stamp(next, current);
    const gone = stored.metadata.deletionTimestamp !== undefined && (stored.metadata.finalizers ?? []).length === 0;
    if (gone) this.objects.delete(keyOf(key));
    else this.objects.set(keyOf(key), stored);
    return clone(stored);
  }

  private stamp(object: KubeObject, previous: KubeObject | undefined): KubeObject {
    const metadata = object.metadata;
    const base = previous?.metadata ?? metadata;
    metadata.resourceVersion = String(++this.revision);
    metadata.uid = base.uid ?? randomUUID();
    metadata.creationTimestamp = base.creationTimestamp ?? new Date().toISOString();
    const generation = base.generation ?? 1;
    const specChanged = previous !== undefined && specOf(previous) !== specOf(object);
    metadata.generation = specChanged ? generation + 1 : generation;
    return object;
  }
}

type LabelTest = (labels: Readonly<Record<string, string>>) => boolean;

/** Equality (`k=v`, `k!=v`) and existence (`k`, `!k`) terms, as the API server reads them. */
/** The key of an object a call names (no name: the empty one, as a 422 would come later). */
const objectKey = (object: KubeObject): ObjectKey => ({
  apiVersion: object.apiVersion,
  kind: object.kind,
  name: object.metadata.name ?? '',
  namespace: object.metadata.namespace,
});

function parseSelector(selector: string | undefined): LabelTest[] {
  if (selector === undefined || selector === '') return [];
  return selector.split(',').map((raw): LabelTest => {
    const term = raw.trim();
    const unequal = term.split('!=');
    if (unequal.length === 2) return (labels) => labels[(unequal[0] ?? '').trim()] !== (unequal[1] ?? '').trim();
    const [key = '', value] = term.split('=');
    if (value !== undefined) return (labels) => labels[key.trim()] === value.trim();
    if (key.startsWith('!')) return (labels) => !(key.slice(1) in labels);
    return (labels) => key in labels;
  });
}
