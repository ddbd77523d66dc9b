/**
 * What a function core asks of the Kubernetes API: a `Kube` wrapper that notes every call (method,
 * apiVersion, kind) before passing it on, and the scenario shape the RBAC usage test runs. Calls made
 * through `impersonate(user)` are the user's, decided by its rights: only the impersonation is noted. The
 * recording wraps only the Kube handed to the core under test, so what a test itself writes (seeding
 * objects, playing run-action's claim) is never counted against the function.
 */
import type { Outcome } from '../../shared/function-deps.js';
import type { Kube } from '../../shared/kube/types.js';
import type { FunctionName, KubeMethod } from './rbac.js';

export interface KubeUse {
  method: KubeMethod;
  apiVersion: string;
  kind: string;
}

/** Wraps `inner`; every call is appended to `uses` before it is made. */
export function recordingKube(inner: Kube, uses: KubeUse[]): Kube {
  const noted = <T>(method: KubeMethod, apiVersion: string, kind: string, call: () => T): T => {
    uses.push({ method, apiVersion, kind });
    return call();
  };
  return {
    get: (key) => noted('get', key.apiVersion, key.kind, () => inner.get(key)),
    list: (apiVersion, kind, options) => noted('list', apiVersion, kind, () => inner.list(apiVersion, kind, options)),
    create: (object) => noted('create', object.apiVersion, object.kind, () => inner.create(object)),
    apply: (object, manager) => noted('apply', object.apiVersion, object.kind, () => inner.apply(object, manager)),
    mergePatch: (key, patch) => noted('mergePatch', key.apiVersion, key.kind, () => inner.mergePatch(key, patch)),
    mergePatchStatus: (key, patch) => noted('mergePatchStatus', key.apiVersion, key.kind, () => inner.mergePatchStatus(key, patch)),
    replaceStatus: (object) => noted('replaceStatus', object.apiVersion, object.kind, () => inner.replaceStatus(object)),
    remove: (key, options) => noted('remove', key.apiVersion, key.kind, () => inner.remove(key, options)),
    recordEvent: (event) => noted('recordEvent', 'v1', 'Event', () => inner.recordEvent(event)),
    // What is done as another user needs that user's rights, not the function's: only the impersonation is the function's.
    impersonate: (username) => noted('impersonate', 'v1', 'ServiceAccount', () => inner.impersonate(username)),
    // a dry run needs the rights of the calls it tries: they are noted as themselves
    dryRun: () => recordingKube(inner.dryRun(), uses),
  };
}

export interface Scenario {
  name: string;
  /** Runs the core, built on `record(kube)`, and returns every Outcome it produced. */
  run(record: (inner: Kube) => Kube): Promise<Outcome[]>;
}

export type ScenarioBook = Readonly<Record<FunctionName, readonly Scenario[]>>;
