/**
 * One JSON request to the API server on Node's own `node:https` / `node:http` (global `fetch` cannot
 * take a client certificate or a private CA without undici). The kubeconfig supplies the TLS material
 * and the Authorization header per request, so a rotated service-account token is picked up; the
 * connections are kept alive in one agent per client. Every request gives up after 30 s; every failure
 * is a KubeApiError (the server's answer, or 503 when there was none).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { errorFromResponse, KubeApiError, unreachable } from './api-error.js';
import { headerRecord, type KubeConfigLike } from './kubeconfig.js';

export type Verb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface JsonRequest {
  method: Verb;
  /** From the API root: `/api/v1/namespaces/default/configmaps`. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** Default `application/json`; patches name their type explicitly. */
  contentType?: string;
  /** Names the request in error messages: `get DRPlan default/p`. */
  what: string;
  /** Sent as `Impersonate-User`: the API server decides the request as this user (the caller needs `impersonate` on it). */
  impersonateUser?: string | undefined;
}

/** Every request gives up after this long: a hung API server must not hold an event forever. */
export const REQUEST_TIMEOUT_MS = 30_000;

export interface RestOptions {
  /** Default REQUEST_TIMEOUT_MS. */
  timeoutMs?: number | undefined;
}

export interface RestClient {
  /** The namespace of the kubeconfig's current context (`default` when it names none). */
  readonly namespace: string;
  /** Resolves with the parsed body (undefined when empty); throws KubeApiError otherwise. */
  send(request: JsonRequest): Promise<unknown>;
}

interface Answer {
  status: number;
  text: string;
}

interface Exchange {
  url: URL;
  options: https.RequestOptions;
  body: string | undefined;
  timeoutMs: number;
}

function urlOf(server: string, request: JsonRequest): URL {
  const url = new URL(`${server.replace(/\/+$/, '')}${request.path}`);
  for (const [name, value] of Object.entries(request.query ?? {})) url.searchParams.set(name, value);
  return url;
}

/** Sends the request and reads the whole answer, whatever its status; rejects only when there is none. */
function exchange({ url, options, body, timeoutMs }: Exchange): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'http:' ? http : https).request(url, options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    const timer = setTimeout(() => request.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end(body);
  });
}

function headersFor(request: JsonRequest, body: string | undefined): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = { Accept: 'application/json' };
  if (request.impersonateUser !== undefined) headers['Impersonate-User'] = request.impersonateUser;
  if (body === undefined) return headers;
  return { ...headers, 'Content-Type': request.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(body) };
}

/**
 * Only the TLS fields the kubeconfig set: a key present with the value undefined would override Node's
 * defaults (an undefined `rejectUnauthorized` turns certificate checking off).
 */
function tlsOf(options: https.RequestOptions): https.RequestOptions {
  const picked: https.RequestOptions = {};
  if (options.ca !== undefined) picked.ca = options.ca;
  if (options.cert !== undefined) picked.cert = options.cert;
  if (options.key !== undefined) picked.key = options.key;
  if (options.rejectUnauthorized !== undefined) picked.rejectUnauthorized = options.rejectUnauthorized;
  if (options.servername !== undefined) picked.servername = options.servername;
  return picked;
}

function parseJson(text: string, what: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error: unknown) {
    throw new KubeApiError({ code: 502, reason: 'BadGateway', message: `${what}: the API server's answer is not JSON` }, { cause: error });
  }
}

export function createRestClient(kc: KubeConfigLike, options: RestOptions = {}): RestClient {
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const server = kc.getCurrentCluster()?.server ?? '';
  const agent = server.startsWith('http:') ? new http.Agent({ keepAlive: true }) : new https.Agent({ keepAlive: true });
  const namespace = kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';

  async function answer(request: JsonRequest): Promise<Answer> {
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const options: https.RequestOptions = { headers: {} };
    await kc.applyToHTTPSOptions(options);
    const headers = { ...headerRecord(options.headers), ...headersFor(request, body) };
    return exchange({ url: urlOf(server, request), options: { ...tlsOf(options), method: request.method, headers, agent }, body, timeoutMs });
  }

  return {
    namespace: namespace === '' ? 'default' : namespace,
    async send(request) {
      let reply: Answer;
      try {
        reply = await answer(request);
      } catch (error: unknown) {
        throw unreachable(request.what, error);
      }
      if (reply.status < 200 || reply.status > 299) throw errorFromResponse(reply.status, reply.text, request.what);
      return parseJson(reply.text, request.what);
    },
  };
}
