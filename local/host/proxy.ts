/**
 * The address of one Knative Service: a small HTTP proxy that hands each request to the next ready
 * replica in turn (round-robin). With no replica ready it waits a little, as Knative's activator
 * buffers requests while a revision starts, then answers 503 (which the broker retries). A replica
 * that fails mid-request (its process died) yields 502, also retried by the broker; a replica's own
 * answer, early or not, is passed through as it is.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { Replica } from './replica.js';

export interface ServiceProxy {
  url: string;
  close(): Promise<void>;
}

export interface ProxyOptions {
  replicas: readonly Replica[];
  /** How long a request waits for a ready replica (default 10 s). */
  activationTimeoutMs?: number | undefined;
}

function nextReady(replicas: readonly Replica[], turn: { next: number }): Replica | undefined {
  for (let tried = 0; tried < replicas.length; tried += 1) {
    const replica = replicas[(turn.next + tried) % replicas.length];
    if (replica?.isReady() === true) {
      turn.next = (turn.next + tried + 1) % replicas.length;
      return replica;
    }
  }
  return undefined;
}

async function pick(options: ProxyOptions, turn: { next: number }): Promise<Replica | undefined> {
  const ready = nextReady(options.replicas, turn);
  if (ready !== undefined) return ready;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, options.activationTimeoutMs ?? 10_000);
  });
  await Promise.race([Promise.race(options.replicas.map((replica) => replica.whenReady())), timeout]);
  clearTimeout(timer);
  return nextReady(options.replicas, turn);
}

/** Hop-by-hop headers: they describe one connection, not the request, and are not forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length']);

function requestHeaders(incoming: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  return headers;
}

const failure = (error: unknown): string => (error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error));

/** The replica's answer: its status, its end-to-end headers, its body streamed. */
async function relay(answer: Response, outgoing: ServerResponse): Promise<void> {
  const headers: Record<string, string> = {};
  answer.headers.forEach((value, name) => {
    // fetch has decoded the body: its encoding no longer applies
    if (!HOP_BY_HOP.has(name) && name !== 'content-encoding') headers[name] = value;
  });
  outgoing.writeHead(answer.status, headers);
  try {
    if (answer.body !== null) for await (const chunk of answer.body) outgoing.write(chunk);
    outgoing.end();
  } catch (error: unknown) {
    outgoing.destroy(new Error(failure(error)));
  }
}

/**
 * Forwards one request to a replica and its answer back. fetch (not http.request) carries the body:
 * a replica may answer before it has read the whole body — a 413 for a body over its limit — and
 * close, and fetch still reads that answer where http.request fails the write with EPIPE (which would
 * become a 502, retried by the broker).
 */
async function forward(replica: Replica, incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
  const method = incoming.method ?? 'GET';
  const body = method === 'GET' || method === 'HEAD' ? {} : { body: Readable.toWeb(incoming) as ReadableStream<Uint8Array>, duplex: 'half' as const };
  let answer: Response;
  try {
    answer = await fetch(new URL(incoming.url ?? '/', replica.url), { method, headers: requestHeaders(incoming), ...body, redirect: 'manual' });
  } catch (error: unknown) {
    if (!outgoing.headersSent) outgoing.writeHead(502, { 'content-type': 'text/plain' }).end(`replica ${replica.status().label} failed: ${failure(error)}\n`);
    return;
  }
  await relay(answer, outgoing);
}

export async function startServiceProxy(options: ProxyOptions): Promise<ServiceProxy> {
  const turn = { next: 0 };
  const server: Server = createServer((incoming, outgoing) => {
    pick(options, turn)
      .then((replica) => {
        if (replica !== undefined) return forward(replica, incoming, outgoing);
        outgoing.writeHead(503, { 'content-type': 'text/plain' }).end('no replica of this function is ready\n');
        return undefined;
      })
      .catch((error: unknown) => {
        if (!outgoing.headersSent) outgoing.writeHead(502, { 'content-type': 'text/plain' }).end(`${error instanceof Error ? error.message : String(error)}\n`);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
