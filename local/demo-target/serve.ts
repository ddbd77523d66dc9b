/**
 * One request to the demo target: recorded first (method, path, headers, Idempotency-Key, body,
 * times), then checked against the idempotency keys, delayed or failed by an injected behaviour, and
 * finally answered by the application. Paths under `/_` control the target and are not recorded.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { handle, type ApplicationState, type Reply } from './application.js';
import { parseBehaviour, type Behaviours } from './behaviours.js';
import type { IdempotencyKeys } from './idempotency.js';

const BODY_LIMIT = 1024 * 1024;
const REDACTED = new Set(['authorization', 'cookie', 'proxy-authorization']);

/** How a recorded request was answered. */
export const Outcomes = {
  /** The application answered (and applied the effect, for a POST that succeeded). */
  handled: 'handled',
  /** A repeated Idempotency-Key: the first answer was returned, nothing applied. */
  replayed: 'replayed',
  /** A repeated key while the first request was still running: 409, nothing applied. */
  inFlight: 'in-flight',
  /** A key already used for a different request: 422, nothing applied. */
  keyReused: 'key-reused',
  /** An injected failure: nothing applied. */
  injected: 'injected',
  /** The body was not JSON: 400, nothing applied. */
  badBody: 'bad-body',
} as const;
export type Outcome = (typeof Outcomes)[keyof typeof Outcomes];

export interface RecordedRequest {
  /** 1, 2, … in order of arrival. */
  seq: number;
  method: string;
  path: string;
  /** The query string without `?` ('' when none). */
  query: string;
  /** Lower-case names; credentials (authorization, cookie) are recorded as `<redacted>`. */
  headers: Record<string, string>;
  idempotencyKey?: string | undefined;
  body: string;
  /** When it arrived (ISO, milliseconds). */
  time: string;
  startedMs: number;
  /** When the answer was sent (absent while the request is still being processed). */
  finishedMs?: number | undefined;
  status?: number | undefined;
  outcome?: Outcome | undefined;
  /** The Idempotency-Key was seen before (replayed or refused as in flight). */
  duplicate: boolean;
}

export interface TargetContext {
  state: ApplicationState;
  keys: IdempotencyKeys;
  behaviours: Behaviours;
  records: RecordedRequest[];
  now: () => number;
  reset(): void;
}

interface Answer {
  status: number;
  body: unknown;
  outcome: Outcome;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= BODY_LIMIT) chunks.push(chunk);
    });
    request.on('end', () => {
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (status === 204) {
    response.writeHead(204).end();
    return;
  }
  response.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
}

function headersOf(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    headers[name] = REDACTED.has(name) ? '<redacted>' : Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function parseJson(text: string): { value: unknown } | { error: string } {
  if (text.trim() === '') return { value: undefined };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error: unknown) {
    return { error: `body: not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
}

/** The application's answer, or an injected failure, after the injected delay. */
async function applicationAnswer(context: TargetContext, record: RecordedRequest): Promise<Answer> {
  const verdict = context.behaviours.decide(record.method, record.path);
  if (verdict.delayMs > 0) await delay(verdict.delayMs);
  if (verdict.failWith !== undefined) {
    return { status: verdict.failWith, body: { error: `injected failure of ${record.method} ${record.path}` }, outcome: Outcomes.injected };
  }
  const parsed = parseJson(record.body);
  if ('error' in parsed) return { status: 400, body: { error: parsed.error }, outcome: Outcomes.badBody };
  const reply: Reply = handle(context.state, { method: record.method, path: record.path, body: parsed.value });
  return { ...reply, outcome: Outcomes.handled };
}

async function answerFor(context: TargetContext, record: RecordedRequest): Promise<Answer> {
  const key = record.idempotencyKey;
  if (key === undefined) return applicationAnswer(context, record);
  const decision = context.keys.begin(key, `${record.method} ${record.path}?${record.query}\n${record.body}`);
  switch (decision.kind) {
    case 'replay':
      return { ...decision.reply, outcome: Outcomes.replayed };
    case 'in-flight':
      return { status: 409, body: { error: `a request with Idempotency-Key ${key} is still being processed` }, outcome: Outcomes.inFlight };
    case 'reused':
      return { status: 422, body: { error: `Idempotency-Key ${key} was already used for a different request` }, outcome: Outcomes.keyReused };
    case 'process': {
      const answer = await applicationAnswer(context, record);
      context.keys.finish(key, answer);
      return answer;
    }
  }
}

async function recordAndAnswer(context: TargetContext, request: IncomingMessage, url: URL): Promise<Answer> {
  const startedMs = context.now();
  const headers = headersOf(request);
  const record: RecordedRequest = {
    seq: context.records.length + 1,
    method: request.method ?? 'GET',
    path: url.pathname,
    query: url.search.replace(/^\?/, ''),
    headers,
    idempotencyKey: headers['idempotency-key'],
    body: await readBody(request),
    time: new Date(startedMs).toISOString(),
    startedMs,
    duplicate: false,
  };
  context.records.push(record);
  const answer = await answerFor(context, record);
  Object.assign(record, {
    status: answer.status,
    outcome: answer.outcome,
    finishedMs: context.now(),
    duplicate: answer.outcome === Outcomes.replayed || answer.outcome === Outcomes.inFlight,
  });
  return answer;
}

async function addBehaviour(context: TargetContext, request: IncomingMessage): Promise<{ status: number; body: unknown }> {
  const parsed = parseJson(await readBody(request));
  try {
    if ('error' in parsed) throw new Error(parsed.error);
    context.behaviours.add(parseBehaviour(parsed.value, 'body'));
    return { status: 201, body: { behaviours: context.behaviours.list() } };
  } catch (error: unknown) {
    return { status: 400, body: { error: error instanceof Error ? error.message : String(error) } };
  }
}

/** `/_requests`, `/_state`, `/_reset`, `/_behaviours`. */
async function control(context: TargetContext, request: IncomingMessage, path: string): Promise<{ status: number; body: unknown }> {
  const route = `${request.method ?? ''} ${path}`;
  if (route === 'GET /_requests') return { status: 200, body: { requests: context.records, duplicates: context.keys.duplicates() } };
  if (route === 'GET /_state') return { status: 200, body: context.state };
  if (route === 'POST /_reset') {
    context.reset();
    return { status: 204, body: undefined };
  }
  if (route === 'GET /_behaviours') return { status: 200, body: { behaviours: context.behaviours.list() } };
  if (route === 'POST /_behaviours') return addBehaviour(context, request);
  return { status: 404, body: { error: `no control endpoint ${route}; try GET /_requests, GET /_state, POST /_reset, GET|POST /_behaviours` } };
}

/** The request listener of the demo target. */
export function serveRequest(context: TargetContext): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const url = new URL(request.url ?? '/', 'http://demo-target.invalid');
    const work = url.pathname.startsWith('/_') ? control(context, request, url.pathname) : recordAndAnswer(context, request, url);
    work.then(
      (answer) => {
        send(response, answer.status, answer.body);
      },
      (error: unknown) => {
        send(response, 500, { error: error instanceof Error ? error.message : String(error) });
      },
    );
  };
}
