/**
 * Builders for run-action core tests: a clock the test moves, a logger that keeps every line, a sleep
 * that records its waits (and moves the clock), executions whose status is exactly what the scheduler
 * writes when it requests an attempt, and a real HTTP target on 127.0.0.1 that records its requests.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Action, ActionStatus, DRPlanExecution, DRPlanExecutionStatus, ResolvedPlan } from '../../shared/api/index.js';
import { API_VERSION, Kinds } from '../../shared/api/index.js';
import { schedule } from '../../shared/engine/scheduler.js';
import { findActionStatus } from '../../shared/engine/status-tree.js';
import type { ActionRequested } from '../../shared/event-data.js';
import type { Clock, Logger } from '../../shared/function-deps.js';
import type { KubeObject } from '../../shared/kube/types.js';
import type { RunActionConfig } from '../../functions/run-action/config.js';
import { DEFAULT_RUN_ACTION_CONFIG } from '../../functions/run-action/config.js';
import type { RunActionDeps } from '../../functions/run-action/deps.js';
import { FakeKube } from './fake-kube.js';

export const T0 = new Date('2025-03-01T08:00:00.000Z');
export const NS = 'dr';
export const EXEC = 'failover-1';
export const UID = '7f0c6a52-1b7e-4c55-9d1e-3a2f7c1d0e42';

export class ManualClock implements Clock {
  private current: number;
  constructor(start: Date = T0) {
    this.current = start.getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  bindings: Record<string, unknown>;
  object: Record<string, unknown>;
  message: string;
}

/** A Logger keeping every line (with the bindings of its children) in one shared list. */
export class LogCollector implements Logger {
  readonly lines: LogLine[];
  private readonly bindings: Record<string, unknown>;
  constructor(lines: LogLine[] = [], bindings: Record<string, unknown> = {}) {
    this.lines = lines;
    this.bindings = bindings;
  }
  debug(object: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'debug', bindings: this.bindings, object, message });
  }
  info(object: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'info', bindings: this.bindings, object, message });
  }
  warn(object: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'warn', bindings: this.bindings, object, message });
  }
  error(object: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'error', bindings: this.bindings, object, message });
  }
  child(bindings: Record<string, unknown>): Logger {
    return new LogCollector(this.lines, { ...this.bindings, ...bindings });
  }
  /** Every line serialised, as a log shipper would see it. */
  text(): string {
    return this.lines
      .map((line) =>
        JSON.stringify({ ...line.bindings, ...line.object, msg: line.message }, (_key, value: unknown) => (value instanceof Error ? value.message : value)),
      )
      .join('\n');
  }
}

/** An action of a workflow in stage `s`, workflow index 0. */
export const pathOf = (action: string, stage = 's', index = 0): string => `${stage}/${index}/${action}`;

/** A plan of one sequential stage `s` with one workflow `wf` (namespace `dr`) holding `actions`. */
export function planOf(actions: readonly Action[]): ResolvedPlan {
  return {
    failurePolicy: 'Stop',
    stages: [
      {
        name: 's',
        parallel: false,
        failurePolicy: 'Stop',
        workflows: [{ workflowRef: { name: 'wf', namespace: NS }, failurePolicy: 'FailFast', actions: [...actions] }],
      },
    ],
  };
}

/** The status the scheduler writes when it starts `resolved` at `now` (its first actions requested). */
export function startedStatus(resolved: ResolvedPlan, now: Date = T0): DRPlanExecutionStatus {
  const decision = schedule({ resolved, status: { phase: 'Pending', resolved }, now });
  return decision.status;
}

/** Marks attempt `attempt` of the action at `path` requested, as the scheduler would (for actions it would reach later). */
export function requestAction(status: DRPlanExecutionStatus, path: string, attempt = 1, now: Date = T0): DRPlanExecutionStatus {
  const next = structuredClone(status);
  const action = findActionStatus(next, path);
  if (action === undefined) throw new Error(`no action ${path}`);
  Object.assign(action, { phase: 'Pending', attempt, requestedAt: now.toISOString() } satisfies Partial<ActionStatus>);
  return next;
}

export function executionObject(
  status: DRPlanExecutionStatus,
  extra: Partial<DRPlanExecution['metadata']> = {},
  operationType: 'Execute' | 'Revert' = 'Execute',
): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: Kinds.execution,
    metadata: { name: EXEC, namespace: NS, uid: UID, ...extra },
    spec: { planRef: 'plan', operationType, ...(operationType === 'Revert' ? { revertExecutionRef: 'earlier' } : {}) },
    status,
  };
}

export const executionKey = { apiVersion: API_VERSION, kind: Kinds.execution, name: EXEC, namespace: NS };

export function requested(path: string, attempt = 1, operationType: 'Execute' | 'Revert' = 'Execute'): ActionRequested {
  return { execution: { name: EXEC, namespace: NS, uid: UID }, operationType, path, attempt };
}

export interface World {
  kube: FakeKube;
  clock: ManualClock;
  log: LogCollector;
  sleeps: number[];
  deps: RunActionDeps;
  /** The execution's stored status now. */
  status(): DRPlanExecutionStatus;
  action(path: string): ActionStatus | undefined;
}

export interface WorldOptions {
  kube?: FakeKube;
  config?: Partial<RunActionConfig>;
  fetch?: typeof globalThis.fetch;
  resolve?: (host: string) => Promise<string[]>;
  clock?: ManualClock;
}

/** A FakeKube holding `execution`, and run-action dependencies around it. */
export function world(execution: KubeObject, options: WorldOptions = {}): World {
  const kube = options.kube ?? new FakeKube();
  kube.seed(execution);
  const clock = options.clock ?? new ManualClock();
  const log = new LogCollector();
  const sleeps: number[] = [];
  const sleep = (ms: number): Promise<void> => {
    sleeps.push(ms);
    clock.advance(ms);
    return Promise.resolve();
  };
  const deps: RunActionDeps = {
    kube,
    clock,
    log,
    fetch: options.fetch,
    sleep,
    // Chaining off unless a test turns it on: each test then sees one attempt per request, as a reply says.
    config: { ...DEFAULT_RUN_ACTION_CONFIG, maxInlineChainMs: 0, ...options.config },
    resolve: options.resolve ?? (() => Promise.resolve(['127.0.0.1'])),
  };
  const status = (): DRPlanExecutionStatus => {
    const stored = kube.objects.get(`${API_VERSION}/${Kinds.execution}/${NS}/${EXEC}`);
    return stored?.status ?? {};
  };
  return { kube, clock, log, sleeps, deps, status, action: (path) => findActionStatus(status(), path) };
}

/** Changes the stored status of the action at `path` (as another function or a lost write would have left it). */
export async function editAction(w: World, path: string, edit: (action: ActionStatus) => void): Promise<void> {
  const status = w.status();
  const action = findActionStatus(status, path);
  if (action === undefined) throw new Error(`no action ${path}`);
  edit(action);
  await w.kube.replaceStatus({ ...executionObject(status), metadata: { name: EXEC, namespace: NS } });
}

/** A world whose execution runs `actions` in one workflow, with the first one requested (attempt 1). */
export function worldOf(actions: readonly Action[], options: WorldOptions = {}): World {
  return world(executionObject(startedStatus(planOf(actions))), options);
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface Target {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export type TargetHandler = (request: RecordedRequest, response: ServerResponse, index: number) => void;

/** A real HTTP server on 127.0.0.1 that records each request and answers with `handler`. */
export async function startTarget(handler: TargetHandler): Promise<Target> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((incoming: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const request = {
        method: incoming.method ?? '',
        url: incoming.url ?? '',
        headers: { ...incoming.headers },
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      handler(request, response, requests.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** Answers every request with `status` and `body`. */
export const answer =
  (status: number, body = ''): TargetHandler =>
  (_request, response) => {
    response.writeHead(status, { 'content-type': 'text/plain' });
    response.end(body);
  };

/** A fetch that records its calls and answers 200 without touching the network. */
export function recordingFetch(): { fetch: typeof globalThis.fetch; calls: string[] } {
  const calls: string[] = [];
  const fetch: typeof globalThis.fetch = (input) => {
    calls.push(input instanceof URL ? input.href : typeof input === 'string' ? input : input.url);
    return Promise.resolve(new Response('ok', { status: 200 }));
  };
  return { fetch, calls };
}

export function httpAction(name: string, http: Record<string, unknown>, extra: Record<string, unknown> = {}): Action {
  return { name, type: 'HTTP', timeout: '5m', http: { method: 'GET', ...http }, ...extra } as Action;
}
