/**
 * The address of one Knative Service: a small HTTP proxy that hands each request to the next ready
 * replica in turn (round-robin). With no replica ready it waits a little, as Knative's activator
 * buffers requests while a revision starts, then answers 503 (which the broker retries). A replica
 * that fails mid-request (its process died) yields 502, also retried by the broker.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
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

function forward(replica: Replica, incoming: IncomingMessage, outgoing: ServerResponse): void {
  const target = new URL(incoming.url ?? '/', replica.url);
  let answered = false;
  const upstream = request(target, { method: incoming.method, headers: incoming.headers }, (answer) => {
    answered = true;
    outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(outgoing);
  });
  upstream.on('error', (error) => {
    // A replica may answer before it has read the whole body (a 413) and close: the answer stands.
    if (answered) {
      incoming.unpipe(upstream);
      incoming.resume();
      return;
    }
    if (outgoing.headersSent) outgoing.destroy(error);
    else outgoing.writeHead(502, { 'content-type': 'text/plain' }).end(`replica ${replica.status().label} failed: ${error.message}\n`);
  });
  incoming.pipe(upstream);
}

export async function startServiceProxy(options: ProxyOptions): Promise<ServiceProxy> {
  const turn = { next: 0 };
  const server: Server = createServer((incoming, outgoing) => {
    pick(options, turn)
      .then((replica) => {
        if (replica === undefined) outgoing.writeHead(503, { 'content-type': 'text/plain' }).end('no replica of this function is ready\n');
        else forward(replica, incoming, outgoing);
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
