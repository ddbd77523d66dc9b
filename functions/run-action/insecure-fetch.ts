/**
 * A minimal fetch over `node:https` that does not verify the server's certificate, for HTTP actions
 * with `insecureSkipVerify: true`. Node's built-in fetch cannot be given such an agent without the
 * undici package, and this needs only a request, its headers and a streamed body. It never follows
 * redirects (http.ts follows them itself, checking every hop).
 */
import { request } from 'node:https';
import { Readable } from 'node:stream';

export interface OutgoingRequest {
  method: string;
  headers: Headers;
  body?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** Statuses whose response has no body (a Response with one cannot be built). */
const NULL_BODY: ReadonlySet<number> = new Set([101, 103, 204, 205, 304]);

export function insecureFetch(url: URL, init: OutgoingRequest): Promise<Response> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      { method: init.method, headers: Object.fromEntries(init.headers), rejectUnauthorized: false, signal: init.signal },
      (incoming) => {
        const status = incoming.statusCode ?? 0;
        const headers = new Headers();
        for (let i = 0; i + 1 < incoming.rawHeaders.length; i += 2) headers.append(incoming.rawHeaders[i] ?? '', incoming.rawHeaders[i + 1] ?? '');
        const empty = NULL_BODY.has(status) || init.method === 'HEAD';
        if (empty) incoming.resume();
        try {
          const body = empty ? null : (Readable.toWeb(incoming) as ReadableStream<Uint8Array>);
          resolve(new Response(body, { status, statusText: incoming.statusMessage ?? '', headers }));
        } catch (error: unknown) {
          incoming.destroy();
          reject(new TypeError(`unusable response (status ${status})`, { cause: error }));
        }
      },
    );
    outgoing.on('error', (error) => {
      reject(new TypeError('fetch failed', { cause: error }));
    });
    outgoing.end(init.body);
  });
}
