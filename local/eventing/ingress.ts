/**
 * The broker ingress over HTTP, addressed like Knative's (`/<namespace>/<broker>`): 202 when the event
 * is accepted (after it is in the durable log), 400 when the request is not a valid CloudEvent (the
 * body says which attribute) or the hop limit is reached, 404 for an unknown broker, 405 for anything
 * but POST. It also serves the stand-in sinks (`/_sinks/<namespace>/<name>`): Services the function
 * host does not run (e.g. an event-display dead-letter sink), which record what they receive, and
 * `POST /_replay`, which re-delivers a range of the event log (`drplan replay`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudEventError, readHttpEvent, toStructured, type CloudEvent } from './cloudevent.js';
import type { Brokers } from './broker.js';
import type { EventLog } from './event-log.js';
import { replayRequest } from './replay-endpoint.js';

const BODY_LIMIT = 4 * 1024 * 1024;
export const SINK_PREFIX = '/_sinks';
/** `POST /_replay` with JSON `{ since?, until?, fromId?, toId? }` (what `drplan replay` sends). */
const REPLAY_PATH = '/_replay';

export interface IngressOptions {
  eventLog: EventLog;
  warn: (line: string) => void;
  host?: string | undefined;
  /** 0 (the default) picks a free port. */
  port?: number | undefined;
}

export interface Ingress {
  /** `http://127.0.0.1:<port>` */
  url: string;
  brokerUrl(namespace: string, name: string): string;
  sinkUrl(namespace: string, name: string): string;
  /** Starts routing requests to the brokers (until then the ingress answers 503). */
  serve(brokers: Brokers): void;
  close(): Promise<void>;
}

class HttpProblem extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'HttpProblem';
    this.status = status;
  }
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) reject(new HttpProblem(413, `the event is larger than ${BODY_LIMIT} bytes`));
      else chunks.push(chunk);
    });
    request.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    request.on('error', reject);
  });
}

function answer(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(status === 202 ? '' : `${message}\n`);
}

async function readEvent(request: IncomingMessage): Promise<CloudEvent> {
  const body = await readBody(request);
  try {
    return readHttpEvent(request.headers, body);
  } catch (error: unknown) {
    if (error instanceof CloudEventError) throw new HttpProblem(400, error.message);
    throw error;
  }
}

interface Target {
  sink: boolean;
  key: string;
}

const pathOf = (url: string | undefined): string => new URL(url ?? '/', 'http://ingress').pathname.replace(/\/+$/, '');

function targetOf(path: string): Target | undefined {
  const sink = path.startsWith(`${SINK_PREFIX}/`);
  const parts = (sink ? path.slice(SINK_PREFIX.length) : path).split('/').filter((part) => part !== '');
  if (parts.length !== 2) return undefined;
  return { sink, key: parts.map(decodeURIComponent).join('/') };
}

const describeEvent = (event: CloudEvent): string => {
  const { type = '', id = '', knativeerrorcode: code, knativeerrordest: destination = '' } = event.attributes;
  return `${type} ${id}${code === undefined ? '' : ` (dead letter: ${destination} answered ${code})`}`;
};

export async function startIngress(options: IngressOptions): Promise<Ingress> {
  let brokers: Brokers | undefined;
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = pathOf(request.url);
    const target = path === REPLAY_PATH ? undefined : targetOf(path);
    if (path !== REPLAY_PATH && target === undefined) throw new HttpProblem(404, 'expected POST /<namespace>/<broker>');
    if (request.method !== 'POST') throw new HttpProblem(405, 'only POST is accepted');
    if (brokers === undefined) throw new HttpProblem(503, 'the broker is starting');
    if (target === undefined) {
      const replayed = replayRequest(brokers, await readBody(request));
      response.writeHead(replayed.status, { 'content-type': replayed.contentType }).end(replayed.text);
    } else await deliverTo(target, brokers, await readEvent(request), response);
  };
  // The sender hears 202 only once what it sent is on disk (the event log's group fsync).
  const deliverTo = async (target: Target, running: Brokers, event: CloudEvent, response: ServerResponse): Promise<void> => {
    if (target.sink) {
      options.eventLog.append({ record: 'sunk', sink: target.key, event: toStructured(event) });
      options.warn(`sink ${target.key} received ${describeEvent(event)}`);
      await options.eventLog.durable();
      answer(response, 202, 'accepted');
      return;
    }
    const result = running.ingest(target.key, event);
    await options.eventLog.durable();
    answer(response, result.status, result.message);
  };
  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const status = error instanceof HttpProblem ? error.status : 500;
      if (status === 500)
        options.warn(`ingress: ${request.method ?? ''} ${request.url ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!response.headersSent) answer(response, status, error instanceof Error ? error.message : String(error));
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    brokerUrl: (namespace, name) => `${url}/${namespace}/${name}`,
    sinkUrl: (namespace, name) => `${url}${SINK_PREFIX}/${namespace}/${name}`,
    serve: (value) => {
      brokers = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
