/**
 * The real `Kube` (shared/kube/types.ts) over a small REST client on Node's built-ins (rest.ts,
 * discovery.ts, kubeconfig.ts): generic get/list/create/apply/patch/delete of any kind (discovery maps
 * kind → plural), the `status` subresource, and core/v1 Events. Every patch names its content type;
 * every failure is a KubeApiError with a numeric `code` and the Status `reason`.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeApiError } from './api-error.js';
import { eventBody, eventNamespace } from './event-record.js';
import { JsonObjectApi, type JsonRequest } from './json-object-api.js';
import { fallbackConfig, inClusterConfig, loadKubeConfigFile, type KubeConfig, type KubeConfigLike } from './kubeconfig.js';
import type { DeleteOptions, Kube, KubeEvent, KubeObject, ListOptions, ObjectKey } from './types.js';

export const PatchTypes = {
  merge: 'application/merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** Items per page when listing; longer lists are followed with the `continue` token. */
const PAGE_SIZE = 500;

/**
 * An explicit `KUBECONFIG` wins (so a process started for the local API server never reaches a real
 * cluster by accident), then the in-cluster service account when `KUBERNETES_SERVICE_HOST` is set,
 * then `~/.kube/config`, then `http://localhost:8080`. Of a `KUBECONFIG` list, the first file that
 * exists is read (files are not merged). Throws naming the file when it is unreadable, invalid, or its
 * user needs an exec or auth-provider plugin.
 */
export function loadKubeConfig(env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const listed = (env.KUBECONFIG ?? '').split(delimiter).filter((path) => path !== '');
  const first = listed[0];
  if (first !== undefined) return loadKubeConfigFile(listed.find((path) => existsSync(path)) ?? first);
  if ((env.KUBERNETES_SERVICE_HOST ?? '') !== '') return inClusterConfig(env);
  const home = join(homedir(), '.kube', 'config');
  return existsSync(home) ? loadKubeConfigFile(home) : fallbackConfig();
}

export interface KubeOptions {
  /** The clock stamped on recorded Events; default the system clock. */
  now?: () => Date;
  /** How long one request may take; default 30 s. */
  timeoutMs?: number;
}

interface Location {
  apiVersion: string;
  kind: string;
  namespace?: string | undefined;
}

const describeKey = (verb: string, key: ObjectKey): string => `${verb} ${key.kind} ${key.namespace === undefined ? '' : `${key.namespace}/`}${key.name}`;

const keyOf = (object: KubeObject): ObjectKey => ({
  apiVersion: object.apiVersion,
  kind: object.kind,
  name: object.metadata.name ?? '',
  namespace: object.metadata.namespace,
});

const isNotFound = (error: unknown): boolean => error instanceof KubeApiError && error.code === 404;

/** An apply request must not carry `managedFields` (the API server refuses it); an object read back does. */
function withoutManagedFields(metadata: KubeObject['metadata']): KubeObject['metadata'] {
  const { managedFields: _managedFields, ...rest } = metadata;
  return rest;
}

/** Takes our KubeConfig (loadKubeConfig) or @kubernetes/client-node's, which the CLI and local tools pass. */
export function createKube(kc: KubeConfigLike, options: KubeOptions = {}): Kube {
  return kubeOver(JsonObjectApi.forConfig(kc, { timeoutMs: options.timeoutMs }), options.now ?? ((): Date => new Date()), {});
}

/** Who the requests are made as, and whether writes are only tried (`dryRun=All`). */
interface Mode {
  user?: string | undefined;
  dryRun?: boolean | undefined;
}

/** The request as the mode sends it: impersonating its user, and a write with `dryRun=All`. */
function inMode(request: JsonRequest, mode: Mode): JsonRequest {
  const impersonated = mode.user === undefined ? request : { ...request, impersonateUser: mode.user };
  if (mode.dryRun !== true || request.method === 'GET') return impersonated;
  return { ...impersonated, query: { ...impersonated.query, dryRun: 'All' } };
}

/** The Kube of one identity over a shared transport (its connections and discovery cache); `mode.user` impersonated when set. */
function kubeOver(transport: JsonObjectApi, now: () => Date, mode: Mode): Kube {
  const api = {
    namespace: transport.namespace,
    describe: (apiVersion: string, kind: string) => transport.describe(apiVersion, kind),
    send: (request: JsonRequest) => transport.send(inMode(request, mode)),
  };

  /** The collection URL; `allNamespaces` lists a namespaced kind across namespaces when none is given. */
  async function collection(location: Location, what: string, allNamespaces = false): Promise<string> {
    const resource = await api.describe(location.apiVersion, location.kind);
    if (resource === undefined) {
      throw new KubeApiError({ code: 404, reason: 'NotFound', message: `${what}: the server does not serve ${location.kind} in ${location.apiVersion}` });
    }
    if (!resource.namespaced) return `${resource.base}/${resource.plural}`;
    const namespace = location.namespace ?? (allNamespaces ? undefined : api.namespace);
    if (namespace === undefined) return `${resource.base}/${resource.plural}`;
    return `${resource.base}/namespaces/${encodeURIComponent(namespace)}/${resource.plural}`;
  }

  async function item(key: ObjectKey, what: string): Promise<string> {
    return `${await collection(key, what)}/${encodeURIComponent(key.name)}`;
  }

  const send = async (request: JsonRequest): Promise<KubeObject> => (await api.send(request)) as KubeObject;

  async function listPage(path: string, what: string, query: Record<string, string>): Promise<{ items: KubeObject[]; next: string }> {
    const page = (await api.send({ method: 'GET', path, query, what })) as { items?: KubeObject[]; metadata?: { continue?: string } } | undefined;
    return { items: page?.items ?? [], next: page?.metadata?.continue ?? '' };
  }

  async function list(apiVersion: string, kind: string, listOptions: ListOptions = {}): Promise<KubeObject[]> {
    const what = `list ${kind}${listOptions.namespace === undefined ? '' : ` in ${listOptions.namespace}`}`;
    const path = await collection({ apiVersion, kind, namespace: listOptions.namespace }, what, true);
    const query: Record<string, string> = { limit: String(PAGE_SIZE) };
    if (listOptions.labelSelector !== undefined && listOptions.labelSelector !== '') query.labelSelector = listOptions.labelSelector;
    const items: KubeObject[] = [];
    for (let next = ''; ;) {
      const page = await listPage(path, what, next === '' ? query : { ...query, continue: next });
      items.push(...page.items.map((found) => ({ ...found, apiVersion, kind })));
      next = page.next;
      if (next === '') return items;
    }
  }

  return {
    async get(key) {
      const what = describeKey('get', key);
      try {
        return await send({ method: 'GET', path: await item(key, what), what });
      } catch (error: unknown) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    list,
    async create(object) {
      const what = describeKey('create', keyOf(object));
      return send({ method: 'POST', path: await collection(keyOf(object), what), body: object, what });
    },
    async apply(object, fieldManager) {
      const what = describeKey('apply', keyOf(object));
      const query = { fieldManager, force: 'true' };
      const body = { ...object, metadata: withoutManagedFields(object.metadata) };
      return send({ method: 'PATCH', path: await item(keyOf(object), what), query, body, contentType: PatchTypes.apply, what });
    },
    async mergePatch(key, patch) {
      const what = describeKey('patch', key);
      return send({ method: 'PATCH', path: await item(key, what), body: patch, contentType: PatchTypes.merge, what });
    },
    async mergePatchStatus(key, patch) {
      const what = describeKey('patch the status of', key);
      return send({ method: 'PATCH', path: `${await item(key, what)}/status`, body: patch, contentType: PatchTypes.merge, what });
    },
    async replaceStatus(object) {
      const what = describeKey('replace the status of', keyOf(object));
      return send({ method: 'PUT', path: `${await item(keyOf(object), what)}/status`, body: object, what });
    },
    async remove(key: ObjectKey, deleteOptions: DeleteOptions = {}) {
      const what = describeKey('delete', key);
      const query: Record<string, string> = deleteOptions.propagationPolicy === undefined ? {} : { propagationPolicy: deleteOptions.propagationPolicy };
      const body = deleteOptions.uid === undefined ? undefined : { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: deleteOptions.uid } };
      try {
        await api.send({ method: 'DELETE', path: await item(key, what), query, what, ...(body === undefined ? {} : { body }) });
        return true;
      } catch (error: unknown) {
        if (isNotFound(error)) return false;
        throw error;
      }
    },
    impersonate: (username) => kubeOver(transport, now, { ...mode, user: username }),
    dryRun: () => kubeOver(transport, now, { ...mode, dryRun: true }),
    async recordEvent(event: KubeEvent) {
      const namespace = eventNamespace(event, api.namespace);
      const what = `record the ${event.reason} Event on ${event.regarding.kind} ${event.regarding.name}`;
      await api.send({ method: 'POST', path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, body: eventBody(event, namespace, now()), what });
    },
  };
}
