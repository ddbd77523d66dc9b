/**
 * Waiting on one object by watching it, as `kubectl wait` does: read it once, then watch it from that
 * `resourceVersion` (field selector on its name) and hand every version to `decide` until it returns a
 * result. A watch that ends or breaks is reopened after a fresh read, so nothing between is missed;
 * the overall timeout ends the wait with the last version seen.
 */
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import type { Kube, KubeObject, ObjectKey } from '../../shared/kube/types.js';

export interface WaitOptions {
  timeoutMs: number;
  /** What the wait is for, in the timeout message ("workflow shop/x to be Ready"). */
  what: string;
}

/** Thrown when the wait times out; carries the last version seen. */
export class WaitTimeout extends Error {
  readonly last: KubeObject | undefined;

  constructor(message: string, last: KubeObject | undefined) {
    super(message);
    this.name = 'WaitTimeout';
    this.last = last;
  }
}

const REOPEN_DELAY_MS = 200;

/** The collection path of a custom or core resource (`/apis/g/v/namespaces/ns/plural`). */
export function collectionPath(key: ObjectKey, plural: string): string {
  const base = key.apiVersion.includes('/') ? `/apis/${key.apiVersion}` : `/api/${key.apiVersion}`;
  return key.namespace === undefined ? `${base}/${plural}` : `${base}/namespaces/${key.namespace}/${plural}`;
}

interface Waiter<T> {
  settle(result: T): void;
  fail(error: Error): void;
  last: KubeObject | undefined;
  done: boolean;
  /** Whether the wait ended (a method, so a check after an await is not narrowed away). */
  finished(): boolean;
  /** The open watch, aborted when the wait ends. */
  open?: AbortController | undefined;
}

interface Target {
  watch: Watch;
  path: string;
  key: ObjectKey;
}

/** One watch from `resourceVersion`; resolves when it ends (for any reason). */
async function watchOnce<T>(target: Target, resourceVersion: string, waiter: Waiter<T>, decide: (object: KubeObject) => T | undefined): Promise<void> {
  const { watch, path } = target;
  const ended = new Promise<void>((resolve) => {
    const query = { fieldSelector: `metadata.name=${target.key.name}`, resourceVersion, allowWatchBookmarks: true };
    const onEvent = (type: string, object: KubeObject): void => {
      if (waiter.done || (type !== 'ADDED' && type !== 'MODIFIED')) return;
      waiter.last = object;
      const result = decide(object);
      if (result !== undefined) waiter.settle(result);
    };
    void watch
      .watch(path, query, onEvent, () => {
        resolve();
      })
      .then((started) => {
        waiter.open = started;
        if (waiter.done) started.abort();
      });
  });
  await ended;
}

/** Watches `key` until `decide` returns something other than `undefined`. */
export async function waitFor<T>(
  deps: { kube: Kube; kubeConfig: KubeConfig; plural: string },
  key: ObjectKey,
  decide: (object: KubeObject) => T | undefined,
  options: WaitOptions,
): Promise<T> {
  const watch = new Watch(deps.kubeConfig);
  const path = collectionPath(key, deps.plural);
  let timer: NodeJS.Timeout | undefined;
  return new Promise<T>((resolve, reject) => {
    const waiter: Waiter<T> = {
      last: undefined,
      done: false,
      finished: () => waiter.done,
      settle(result) {
        waiter.done = true;
        clearTimeout(timer);
        waiter.open?.abort();
        resolve(result);
      },
      fail(error) {
        waiter.done = true;
        clearTimeout(timer);
        waiter.open?.abort();
        reject(error);
      },
    };
    timer = setTimeout(() => {
      waiter.fail(new WaitTimeout(`timed out after ${Math.round(options.timeoutMs / 1000)}s waiting for ${options.what}`, waiter.last));
    }, options.timeoutMs);
    loop(deps.kube, { watch, path, key }, waiter, decide).catch((error: unknown) => {
      waiter.fail(new Error(`waiting for ${options.what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
    });
  });
}

async function loop<T>(kube: Kube, target: Target, waiter: Waiter<T>, decide: (object: KubeObject) => T | undefined): Promise<void> {
  while (!waiter.finished()) {
    const current = await kube.get(target.key);
    if (waiter.finished()) return;
    if (current !== undefined) {
      waiter.last = current;
      const result = decide(current);
      if (result !== undefined) {
        waiter.settle(result);
        return;
      }
    }
    await watchOnce(target, current?.metadata.resourceVersion ?? '', waiter, decide);
    if (!waiter.finished()) await new Promise((resolve) => setTimeout(resolve, REOPEN_DELAY_MS));
  }
}
