/**
 * The Kubernetes access every function core receives as a dependency. Cores depend on this interface,
 * never on a Kubernetes client library directly, so they are tested with a small in-memory fake and run
 * unchanged against a real cluster or the local API server (see `client.ts`).
 */
import type { ObjectMeta } from '../api/common.js';

export interface ObjectKey {
  apiVersion: string;
  kind: string;
  name: string;
  /** Absent for cluster-scoped objects. */
  namespace?: string | undefined;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface ListOptions {
  namespace?: string | undefined;
  labelSelector?: string | undefined;
}

export interface DeleteOptions {
  /** `Background` for Jobs, so their pods go too. */
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' | undefined;
  /** Delete only the object with this uid (409 Conflict when the name now belongs to another). */
  uid?: string | undefined;
}

/** A Kubernetes Event (core/v1) about one object. */
export interface KubeEvent {
  regarding: ObjectKey & { uid?: string | undefined };
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/**
 * Errors: every method throws the API's failure as an Error with a numeric `code` (the HTTP status) and
 * the `Status` `reason`, except where noted (`get` → undefined on 404, `remove` → false on 404), so the
 * error boundary (`shared/errors.ts`) can map them deliberately.
 */
export interface Kube {
  get(key: ObjectKey): Promise<KubeObject | undefined>;
  list(apiVersion: string, kind: string, options?: ListOptions): Promise<KubeObject[]>;
  /** 409 AlreadyExists when the name is taken. */
  create(object: KubeObject): Promise<KubeObject>;
  /** Server-side apply with the given field manager (`drplan`), `force: true`. */
  apply(object: KubeObject, fieldManager: string): Promise<KubeObject>;
  /** JSON merge patch of the main resource. Put `metadata.resourceVersion` in the patch to make it conditional (409 on a stale one). */
  mergePatch(key: ObjectKey, patch: Record<string, unknown>): Promise<KubeObject>;
  /** JSON merge patch of the `status` subresource; conditional the same way. */
  mergePatchStatus(key: ObjectKey, patch: Record<string, unknown>): Promise<KubeObject>;
  /** Replaces the `status` subresource with `object.status`; `object.metadata.resourceVersion` makes it conditional. */
  replaceStatus(object: KubeObject): Promise<KubeObject>;
  /** false when it was already gone. */
  remove(key: ObjectKey, options?: DeleteOptions): Promise<boolean>;
  recordEvent(event: KubeEvent): Promise<void>;
  /** The same API as `username` (Impersonate-User): every request is decided with that user's rights. */
  impersonate(username: string): Kube;
  /**
   * The same API with every write sent as a server-side dry run (`dryRun=All`): validated, admitted and
   * authorized as it would be, answered with the object it would store — and nothing stored.
   */
  dryRun(): Kube;
}
