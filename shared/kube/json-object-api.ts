/**
 * The transport under `createKube`, as one object: JSON requests to the API server (rest.ts) and
 * discovery of kind → plural and scope (discovery.ts). The CLI uses it directly to probe `/version`.
 * Plain JSON in and out: the cores work on the JSON the API server sends, timestamps as strings.
 */
import { createDiscovery, type Discovery, type Resource } from './discovery.js';
import type { KubeConfigLike } from './kubeconfig.js';
import { createRestClient, type JsonRequest, type RestClient, type RestOptions } from './rest.js';

export type { JsonRequest, Verb } from './rest.js';
export type { Resource } from './discovery.js';

export class JsonObjectApi {
  readonly #rest: RestClient;
  readonly #discovery: Discovery;

  constructor(rest: RestClient) {
    this.#rest = rest;
    this.#discovery = createDiscovery(rest);
  }

  /** Accepts our KubeConfig or @kubernetes/client-node's. */
  static forConfig(kc: KubeConfigLike, options: RestOptions = {}): JsonObjectApi {
    return new JsonObjectApi(createRestClient(kc, options));
  }

  /** The namespace of the kubeconfig's current context (`default` when it names none). */
  get namespace(): string {
    return this.#rest.namespace;
  }

  /** Discovery: undefined when the server does not serve this kind in this API version. */
  describe(apiVersion: string, kind: string): Promise<Resource | undefined> {
    return this.#discovery.describe(apiVersion, kind);
  }

  /** Sends one request; resolves with the parsed body (undefined when empty), throws KubeApiError otherwise. */
  send(request: JsonRequest): Promise<unknown> {
    return this.#rest.send(request);
  }
}
