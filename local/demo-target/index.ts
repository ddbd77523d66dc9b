/**
 * The demo target: an HTTP server on 127.0.0.1 that plays an application's endpoints for a failover
 * drill (health of each site, maintenance mode, database fence/promote, the traffic switch), records
 * every request, honours `Idempotency-Key`, and takes injected behaviour (fail N times, always fail,
 * latency). The drill (`npm start`) and the end-to-end tests point HTTP actions at it. See
 * docs/drill.md for the endpoints.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { initialState, type ApplicationState } from './application.js';
import { Behaviours, parseBehaviour, parseBehaviours, type BehaviourInput } from './behaviours.js';
import { IdempotencyKeys } from './idempotency.js';
import { serveRequest, type RecordedRequest, type TargetContext } from './serve.js';

export { ENDPOINTS, initialState, Sites, type ApplicationState, type Site } from './application.js';
export type { Behaviour, BehaviourInput } from './behaviours.js';
export { Outcomes, type Outcome, type RecordedRequest } from './serve.js';

export interface DemoTargetOptions {
  /** 0 (the default) picks a free port. */
  port?: number | undefined;
  /** Armed at start, and again by every reset. */
  behaviours?: readonly BehaviourInput[] | undefined;
  /** Milliseconds since the epoch; default `Date.now`. */
  now?: (() => number) | undefined;
}

export interface DemoTarget {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Copies of the recorded requests, in order of arrival (control paths `/_…` excluded). */
  requests(): RecordedRequest[];
  /** How many requests repeated an Idempotency-Key already seen. */
  duplicates(): number;
  /** A copy of the application's state. */
  state(): ApplicationState;
  /** Arms one more behaviour (after the ones already armed). */
  inject(behaviour: BehaviourInput): void;
  /** Forgets requests, keys and state, and re-arms the start behaviours. */
  reset(): void;
  stop(): Promise<void>;
}

function contextFor(options: DemoTargetOptions): TargetContext {
  const startBehaviours = parseBehaviours(options.behaviours ?? []);
  const context: TargetContext = {
    state: initialState(),
    keys: new IdempotencyKeys(),
    behaviours: new Behaviours(startBehaviours),
    records: [],
    now: options.now ?? Date.now,
    reset() {
      Object.assign(context.state, initialState());
      context.keys.clear();
      context.behaviours.replace(startBehaviours);
      context.records.length = 0;
    },
  };
  return context;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Starts the demo target; throws when a behaviour is invalid (naming its field) or the port is taken. */
export async function startDemoTarget(options: DemoTargetOptions = {}): Promise<DemoTarget> {
  const context = contextFor(options);
  const server = createServer(serveRequest(context));
  const port = await listen(server, options.port ?? 0);
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => context.records.map((record) => ({ ...record, headers: { ...record.headers } })),
    duplicates: () => context.keys.duplicates(),
    state: () => structuredClone(context.state),
    inject(behaviour) {
      context.behaviours.add(parseBehaviour(behaviour));
    },
    reset: () => {
      context.reset();
    },
    stop: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
