/**
 * The transport under `createKube`: @kubernetes/client-node's KubernetesObjectApi for discovery (kind →
 * plural and scope, cached per API version) and for its request pipeline (server URL, TLS, bearer token
 * or exec credentials from the KubeConfig), but with plain JSON in and out. The library's typed
 * (de)serialisation turns timestamps into Date objects and drops fields its models do not know; the
 * cores work on the JSON the API server sends, so this class never deserialises into models.
 */
import { HttpMethod, KubernetesObjectApi, type KubeConfig } from '@kubernetes/client-node';
import { errorFromResponse, unreachable } from './api-error.js';

export type Verb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface JsonRequest {
  method: Verb;
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** Default `application/json`; patches name their type explicitly. */
  contentType?: string;
  /** Names the request in error messages: `get DRPlan default/p`. */
  what: string;
}

export interface Resource {
  /** `/api/v1` or `/apis/<group>/<version>` */
  base: string;
  plural: string;
  namespaced: boolean;
}

/** Every request gives up after this long: a hung API server must not hold an event forever. */
const REQUEST_TIMEOUT_MS = 30_000;

const Methods: Readonly<Record<Verb, HttpMethod>> = {
  GET: HttpMethod.GET,
  POST: HttpMethod.POST,
  PUT: HttpMethod.PUT,
  PATCH: HttpMethod.PATCH,
  DELETE: HttpMethod.DELETE,
};

export class JsonObjectApi extends KubernetesObjectApi {
  static forConfig(kc: KubeConfig): JsonObjectApi {
    const api = kc.makeApiClient(JsonObjectApi);
    api.setDefaultNamespace(kc);
    return api;
  }

  /** The namespace of the KubeConfig's current context (`default` when it names none). */
  get namespace(): string {
    return this.defaultNamespace;
  }

  /** Discovery: undefined when the server does not serve this kind in this API version. */
  async describe(apiVersion: string, kind: string): Promise<Resource | undefined> {
    let found;
    try {
      found = await this.resource(apiVersion, kind);
    } catch (error: unknown) {
      if (statusOfLibraryError(error) === 404) return undefined;
      throw discoveryError(error, `discover ${apiVersion} ${kind}`);
    }
    if (found === undefined) return undefined;
    return { base: this.apiVersionPath(apiVersion), plural: found.name, namespaced: found.namespaced };
  }

  /** Sends one request; resolves with the parsed body (undefined when empty), throws KubeApiError otherwise. */
  async send(request: JsonRequest): Promise<unknown> {
    const context = this.configuration.baseServer.makeRequestContext(request.path, Methods[request.method]);
    context.setHeaderParam('Accept', 'application/json');
    for (const [name, value] of Object.entries(request.query ?? {})) context.setQueryParam(name, value);
    if (request.body !== undefined) {
      context.setHeaderParam('Content-Type', request.contentType ?? 'application/json');
      context.setBody(JSON.stringify(request.body));
    }
    context.setSignal(AbortSignal.timeout(REQUEST_TIMEOUT_MS));
    let status: number;
    let text: string;
    try {
      await this.configuration.authMethods.default?.applySecurityAuthentication(context);
      const response = await this.configuration.httpApi.send(context).toPromise();
      status = response.httpStatusCode;
      text = await response.body.text();
    } catch (error: unknown) {
      throw unreachable(request.what, error);
    }
    if (status < 200 || status > 299) throw errorFromResponse(status, text, request.what);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }
}

function statusOfLibraryError(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function discoveryError(error: unknown, what: string): Error {
  const code = statusOfLibraryError(error);
  if (code === undefined) return unreachable(what, error);
  const body = (error as { body?: unknown }).body;
  return errorFromResponse(code, typeof body === 'string' ? body : '', what, error);
}
