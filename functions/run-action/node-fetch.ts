/**
 * The HTTP client of HTTP actions: a minimal fetch over `node:http`/`node:https` that connects to the
 * address the SSRF check resolved and approved (ssrf.ts), not to whatever the name resolves to a
 * moment later — a DNS answer that changes in between (rebinding) cannot move the request to a refused
 * address. The host name still goes in the Host header and in TLS (SNI and certificate check), so a
 * pinned HTTPS request is verified exactly as an unpinned one. With `insecure`, the certificate is not
 * verified (`insecureSkipVerify`). It never follows redirects: http.ts follows them itself, checking
 * every hop. Connections are kept alive and reused per origin.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { Readable } from 'node:stream';

export interface OutgoingRequest {
  method: string;
  headers: Headers;
  body?: string | undefined;
  signal?: AbortSignal | undefined;
}

export interface Destination {
  /** The checked address to connect to (absent: resolve the host name as usual). */
  address?: string | undefined;
  /** Do not verify the server's certificate. */
  insecure?: boolean | undefined;
}

/** Statuses whose response has no body (a Response with one cannot be built). */
const NULL_BODY: ReadonlySet<number> = new Set([101, 103, 204, 205, 304]);

const agents = {
  http: new HttpAgent({ keepAlive: true }),
  https: new HttpsAgent({ keepAlive: true }),
  insecure: new HttpsAgent({ keepAlive: true, rejectUnauthorized: false }),
};

/** A lookup that answers every name with `address`: the connection goes where the check looked. */
function pinnedLookup(address: string): LookupFunction {
  const family = isIP(address) === 6 ? 6 : 4;
  return (_hostname, options, callback) => {
    if (options.all === true) (callback as (error: null, addresses: { address: string; family: number }[]) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

function toResponse(incoming: IncomingMessage, method: string): Response {
  const status = incoming.statusCode ?? 0;
  const headers = new Headers();
  for (let i = 0; i + 1 < incoming.rawHeaders.length; i += 2) headers.append(incoming.rawHeaders[i] ?? '', incoming.rawHeaders[i + 1] ?? '');
  const empty = NULL_BODY.has(status) || method === 'HEAD';
  if (empty) incoming.resume();
  const body = empty ? null : (Readable.toWeb(incoming) as ReadableStream<Uint8Array>);
  return new Response(body, { status, statusText: incoming.statusMessage ?? '', headers });
}

export function nodeFetch(url: URL, init: OutgoingRequest, destination: Destination = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    const agent = secure ? (destination.insecure === true ? agents.insecure : agents.https) : agents.http;
    const options = {
      method: init.method,
      headers: Object.fromEntries(init.headers),
      agent,
      signal: init.signal,
      ...(destination.address === undefined ? {} : { lookup: pinnedLookup(destination.address) }),
      ...(secure && destination.insecure === true ? { rejectUnauthorized: false } : {}),
    };
    const outgoing = send(url, options, (incoming) => {
      try {
        resolve(toResponse(incoming, init.method));
      } catch (error: unknown) {
        incoming.destroy();
        reject(new TypeError(`unusable response (status ${incoming.statusCode ?? 0})`, { cause: error }));
      }
    });
    outgoing.on('error', (error) => {
      reject(new TypeError('fetch failed', { cause: error }));
    });
    outgoing.end(init.body);
  });
}
