/**
 * A simulated Job controller in the spirit of KWOK: no kubelet and no containers, only the status a
 * real Job controller would write. It is an ordinary client of the API server over HTTP (list, then
 * watch `batch/v1` jobs in all namespaces, relisting after a `410 Gone` or any error) and writes
 * status with merge patches to `/status`. The decisions are in job-status.ts; the annotations that
 * steer them are documented in docs/local-job-controller.md.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { INTERNAL_USER_AGENT } from './faults.js';
import type { Decision } from './job-status.js';
import { decide, planOf } from './job-status.js';
import { isRecord } from './schema-node.js';

export interface JobControllerOptions {
  /** The API server's base URL (`http://127.0.0.1:6443`). */
  url: string;
  /** Bearer token for the API server. */
  token: string;
  log?: (line: string) => void;
  /** The clock (epoch milliseconds); tests may pass their own. */
  now?: () => number;
  /** Pause before relisting after an error. */
  retryDelayMs?: number;
}

export interface JobController {
  stop(): Promise<void>;
}

type Json = Record<string, unknown>;
const record = (value: unknown): Json => (isRecord(value) ? value : {});
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

const JOBS = '/apis/batch/v1/jobs';
/** Marks the controller's requests as the server's own (no injected faults, see faults.ts). */
const USER_AGENT = `${INTERNAL_USER_AGENT}job-controller`;
const MAX_TIMER_MS = 2 ** 31 - 1;

class HttpError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
  }
}

interface State {
  options: Required<Omit<JobControllerOptions, 'log'>> & { log: (line: string) => void };
  stopped: boolean;
  /** One controller per request or pause in progress, so that stop() can cancel them. */
  inFlight: Set<AbortController>;
  jobs: Map<string, Json>;
  timers: Map<string, NodeJS.Timeout>;
  running: Map<string, Promise<void>>;
  again: Set<string>;
  resourceVersion: string;
}

const stopped = (state: State): boolean => state.stopped;
const uidOf = (job: Json): string => text(record(job.metadata).uid);
const nameOf = (job: Json): string => `${text(record(job.metadata).namespace)}/${text(record(job.metadata).name)}`;

/** Runs `work` with an abort signal of its own, aborted by stop() (one shared signal would collect a listener per fetch). */
async function cancellable<T>(state: State, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  state.inFlight.add(controller);
  try {
    return await work(controller.signal);
  } finally {
    state.inFlight.delete(controller);
  }
}

async function request(state: State, path: string, signal: AbortSignal, init: RequestInit = {}): Promise<Response> {
  const headers = {
    Authorization: `Bearer ${state.options.token}`,
    Accept: 'application/json',
    'User-Agent': USER_AGENT,
    ...(init.headers as Record<string, string> | undefined),
  };
  const response = await fetch(`${state.options.url.replace(/\/+$/, '')}${path}`, { ...init, headers, signal });
  if (!response.ok) {
    const body = await response.text().catch(() => '');
    throw new HttpError(response.status, `${init.method ?? 'GET'} ${path}: HTTP ${response.status} ${body.slice(0, 300)}`);
  }
  return response;
}

const requestJson = (state: State, path: string, init: RequestInit = {}): Promise<Json> =>
  cancellable(state, async (signal) => record(await (await request(state, path, signal, init)).json()));

const sleep = (state: State, ms: number): Promise<void> => cancellable(state, (signal) => delay(ms, undefined, { signal }).catch(() => undefined));

function forget(state: State, uid: string): void {
  clearTimeout(state.timers.get(uid));
  state.timers.delete(uid);
  state.jobs.delete(uid);
}

function schedule(state: State, uid: string, wakeAt: number | undefined): void {
  clearTimeout(state.timers.get(uid));
  state.timers.delete(uid);
  if (wakeAt === undefined || stopped(state)) return;
  const delay = Math.min(Math.max(wakeAt - state.options.now(), 0), MAX_TIMER_MS);
  const timer = setTimeout(() => {
    reconcile(state, uid);
  }, delay);
  timer.unref();
  state.timers.set(uid, timer);
}

async function writeStatus(state: State, job: Json, decision: Decision): Promise<void> {
  const metadata = record(job.metadata);
  const path = `/apis/batch/v1/namespaces/${text(metadata.namespace)}/jobs/${text(metadata.name)}/status`;
  const body = JSON.stringify({ metadata: { resourceVersion: metadata.resourceVersion }, status: decision.status });
  const updated = await requestJson(state, path, { method: 'PATCH', body, headers: { 'Content-Type': 'application/merge-patch+json' } });
  if (state.jobs.has(uidOf(job))) state.jobs.set(uidOf(job), updated);
  state.options.log(`job-controller: ${nameOf(job)} ${decision.event ?? 'updated'}`);
}

function writeFailed(state: State, job: Json, error: unknown): void {
  const uid = uidOf(job);
  if (error instanceof HttpError && error.status === 404) forget(state, uid);
  // 409: the Job changed meanwhile; its watch event brings the new version and another step.
  if (error instanceof HttpError && (error.status === 404 || error.status === 409)) return;
  if (stopped(state)) return;
  state.options.log(`job-controller: ${nameOf(job)}: status not written, retrying: ${error instanceof Error ? error.message : String(error)}`);
  schedule(state, uid, state.options.now() + state.options.retryDelayMs);
}

/** One step for one Job: write the status it is due, then arm the timer for the next step. */
async function step(state: State, uid: string): Promise<void> {
  const job = state.jobs.get(uid);
  if (job === undefined) return;
  const decision = decide(job, state.options.now());
  if (decision.status === undefined) {
    schedule(state, uid, decision.wakeAt);
    return;
  }
  for (const problem of planOf(job).problems) state.options.log(`job-controller: ${nameOf(job)}: ${problem}`);
  try {
    await writeStatus(state, job, decision);
    state.again.add(uid);
  } catch (error: unknown) {
    writeFailed(state, job, error);
  }
}

/** Steps in a row for one Job before pausing (a server that does not keep the status would loop). */
const MAX_STEPS = 5;

/** Runs `step` for a Job, one at a time per Job; a request arriving meanwhile runs once more after. */
function reconcile(state: State, uid: string): void {
  if (state.running.has(uid)) {
    state.again.add(uid);
    return;
  }
  const run = (async () => {
    for (let steps = 0; steps < MAX_STEPS && !stopped(state); steps += 1) {
      state.again.delete(uid);
      await step(state, uid);
      if (!state.again.has(uid)) return;
    }
    if (state.again.delete(uid)) schedule(state, uid, state.options.now() + state.options.retryDelayMs);
  })().finally(() => state.running.delete(uid));
  state.running.set(uid, run);
}

function observe(state: State, type: string, job: Json): void {
  const uid = uidOf(job);
  const version = text(record(job.metadata).resourceVersion);
  if (version !== '') state.resourceVersion = version;
  if (uid === '' || type === 'BOOKMARK') return;
  if (type === 'DELETED') {
    forget(state, uid);
    return;
  }
  state.jobs.set(uid, job);
  reconcile(state, uid);
}

async function list(state: State): Promise<void> {
  const body = await requestJson(state, JOBS);
  const items = Array.isArray(body.items) ? body.items.filter(isRecord) : [];
  const present = new Set(items.map(uidOf));
  for (const uid of state.jobs.keys()) if (!present.has(uid)) forget(state, uid);
  for (const item of items) observe(state, 'ADDED', item);
  // The list's own resourceVersion, not its items': the watch continues from the list.
  state.resourceVersion = text(record(body.metadata).resourceVersion);
}

/** Handles the complete lines of `buffered`; returns the incomplete rest, or false when the watch expired (410). */
function consumeLines(state: State, buffered: string): string | false {
  const lines = buffered.split('\n');
  const rest = lines.pop() ?? '';
  for (const line of lines.filter((l) => l.trim() !== '')) {
    const event = record(JSON.parse(line));
    if (event.type === 'ERROR') {
      if (record(event.object).code === 410) return false;
      throw new Error(`watch error: ${JSON.stringify(event.object)}`);
    }
    observe(state, text(event.type), record(event.object));
  }
  return rest;
}

/** Reads newline-delimited watch events until the stream ends; false when the watch expired (410). */
function watch(state: State): Promise<boolean> {
  const query = `watch=1&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=${encodeURIComponent(state.resourceVersion)}`;
  return cancellable(state, async (signal) => {
    const response = await request(state, `${JOBS}?${query}`, signal);
    if (response.body === null) return true;
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffered: string | false = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      buffered = consumeLines(state, buffered + decoder.decode(chunk.value, { stream: true }));
      if (buffered === false) return false;
    }
    return true;
  });
}

/** A watch or list-and-watch cycle shorter than this counts as a quick failure, and relisting backs off. */
const HEALTHY_CYCLE_MS = 1000;
const MAX_BACKOFF_MS = 30_000;

/** Lists, then watches for as long as watches last; returns when a watch expires or ends at once. */
async function listAndWatch(state: State): Promise<void> {
  await list(state);
  while (!stopped(state)) {
    const started = Date.now();
    const expired = !(await watch(state));
    // A watch that ended normally after a while (its timeout) continues from the last resourceVersion seen.
    if (expired || Date.now() - started < HEALTHY_CYCLE_MS) return;
  }
}

async function run(state: State): Promise<void> {
  let quickFailures = 0;
  while (!stopped(state)) {
    const started = Date.now();
    try {
      await listAndWatch(state);
    } catch (error: unknown) {
      if (stopped(state)) return;
      state.options.log(`job-controller: watch interrupted, relisting: ${error instanceof Error ? error.message : String(error)}`);
    }
    quickFailures = Date.now() - started < HEALTHY_CYCLE_MS ? quickFailures + 1 : 0;
    if (quickFailures > 0) await sleep(state, Math.min(state.options.retryDelayMs * 2 ** (quickFailures - 1), MAX_BACKOFF_MS));
  }
}

/** Starts the controller; `stop()` ends the watch, cancels the timers and waits for writes in flight. */
export function startJobController(options: JobControllerOptions): JobController {
  const state: State = {
    options: {
      url: options.url,
      token: options.token,
      log: options.log ?? ((): void => undefined),
      now: options.now ?? Date.now,
      retryDelayMs: options.retryDelayMs ?? 1000,
    },
    stopped: false,
    inFlight: new Set(),
    jobs: new Map(),
    timers: new Map(),
    running: new Map(),
    again: new Set(),
    resourceVersion: '',
  };
  const loop = run(state);
  return {
    async stop(): Promise<void> {
      state.stopped = true;
      for (const controller of state.inFlight) controller.abort();
      for (const timer of state.timers.values()) clearTimeout(timer);
      state.timers.clear();
      await loop;
      await Promise.allSettled([...state.running.values()]);
    },
  };
}
