/**
 * The embedded Knative eventing: it plays the Brokers, Triggers, ApiServerSources and PingSources of a
 * folder of Knative manifests. Two steps, because the functions need the broker's address before they
 * start and the triggers need the functions' addresses: `openEventing` opens the event log and the
 * ingress (which answers 503 until started); `start` resolves every sink and starts delivering,
 * resumes the deliveries a previous run left unfinished, and starts the sources. The ingress URL is
 * written to `<stateDir>/ingress-url` for `drplan replay` while the eventing runs.
 * What is and is not emulated: docs/local-eventing.md.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { startApiServerSources, type ApiServerSources } from './apiserver-source.js';
import { Brokers, type Resolve } from './broker.js';
import { EventLog, type AcceptedRecord } from './event-log.js';
import { startIngress, type Ingress } from './ingress.js';
import { kubeTransport } from './kube-transport.js';
import type { ReplayRange } from './log-queries.js';
import type { PingSource } from './knative-schemas.js';
import type { KnativeManifests, Located } from './manifests.js';
import { startPingSources, type PingSources } from './ping-source.js';
import { createResolver, type ServiceUrl } from './resolve.js';

export interface EventingOptions {
  manifests: KnativeManifests;
  /** The event log is `<stateDir>/events.jsonl`. */
  stateDir: string;
  /** Ingress port; 0 (the default) picks a free one. */
  port?: number | undefined;
  host?: string | undefined;
  warn?: ((line: string) => void) | undefined;
  /** One line per delivery. */
  trace?: ((line: string) => void) | undefined;
}

export interface StartOptions {
  /** Where the function host serves a Knative Service (undefined: a stand-in sink records its events). */
  serviceUrl?: ServiceUrl | undefined;
  /** The cluster the ApiServerSources watch; without it they are not started. */
  kubeConfig?: KubeConfig | undefined;
  /** PingSources fire every N seconds instead of on their schedules. */
  tickSeconds?: number | undefined;
  /** Re-deliver what a previous run left under way (default true). */
  resumePending?: boolean | undefined;
}

export interface Eventing {
  ingressUrl: string;
  brokerUrl(namespace: string, name: string): string;
  eventLog: EventLog;
  start(options?: StartOptions): Promise<void>;
  /** Re-delivers the logged events of a time range and/or an event-id range. */
  replay(range: ReplayRange): AcceptedRecord[];
  /** Resolves when no delivery is under way. */
  idle(): Promise<void>;
  /** Fires every PingSource once now. */
  firePings(): Promise<void>;
  stop(): Promise<void>;
}

interface Running {
  brokers: Brokers;
  pings: PingSources;
  sources?: ApiServerSources | undefined;
}

async function startSources(options: EventingOptions, resolve: Resolve, start: StartOptions): Promise<ApiServerSources | undefined> {
  const warn = options.warn ?? ((): void => undefined);
  const { apiServerSources } = options.manifests;
  if (start.kubeConfig === undefined) {
    if (apiServerSources.length > 0) warn('eventing: no kubeconfig, so the ApiServerSources are not started');
    return undefined;
  }
  return startApiServerSources({
    sources: apiServerSources,
    transport: kubeTransport(start.kubeConfig),
    sinkOf: (s) => resolve(s.object.spec.sink, s.namespace, `ApiServerSource ${s.namespace}/${s.name}: spec.sink`),
    warn,
  });
}

/** Resolves every sink, starts delivering (and resuming), then the sources; stops what started when a step fails. */
async function startParts(options: EventingOptions, ingress: Ingress, eventLog: EventLog, start: StartOptions): Promise<Running> {
  const warn = options.warn ?? ((): void => undefined);
  const { manifests } = options;
  const resolve = createResolver({ manifests, ingress, serviceUrl: start.serviceUrl ?? (() => undefined), warn });
  const pingSinks = manifests.pingSources.map((s) => [s, resolve(s.object.spec.sink, s.namespace, `PingSource ${s.namespace}/${s.name}: spec.sink`)] as const);
  const brokers = new Brokers({ manifests, eventLog, resolve, warn, trace: options.trace });
  ingress.serve(brokers);
  const resumed = start.resumePending === false ? 0 : brokers.resumePending();
  if (resumed > 0) warn(`eventing: resumed ${resumed} deliveries left unfinished by the previous run`);
  let sources: ApiServerSources | undefined;
  try {
    sources = await startSources(options, resolve, start);
  } catch (error: unknown) {
    await brokers.stop();
    throw error;
  }
  const sinkOf = (source: Located<PingSource>): string => pingSinks.find(([s]) => s === source)?.[1] ?? '';
  const pings = startPingSources({ sources: manifests.pingSources, sinkOf, warn, tickSeconds: start.tickSeconds });
  return { brokers, pings, sources };
}

/** Opens the event log and the ingress; call `start` to play the manifests. */
export async function openEventing(options: EventingOptions): Promise<Eventing> {
  const warn = options.warn ?? ((): void => undefined);
  const eventLog = EventLog.open(join(options.stateDir, 'events.jsonl'), { warn });
  let ingress: Ingress;
  try {
    ingress = await startIngress({ eventLog, warn, host: options.host, port: options.port });
  } catch (error: unknown) {
    eventLog.close();
    throw new Error(`the broker ingress cannot listen on port ${options.port ?? 0}`, { cause: error });
  }
  // `drplan replay` finds the running eventing through this file.
  const urlFile = join(options.stateDir, 'ingress-url');
  writeFileSync(urlFile, `${ingress.url}\n`);
  let running: Running | undefined;
  const started = (): Running => {
    if (running === undefined) throw new Error('the eventing is not started');
    return running;
  };
  return {
    ingressUrl: ingress.url,
    brokerUrl: (namespace, name) => ingress.brokerUrl(namespace, name),
    eventLog,
    start: async (start = {}) => {
      running = await startParts(options, ingress, eventLog, start);
    },
    replay: (range) => started().brokers.replay(range),
    idle: () => started().brokers.idle(),
    firePings: () => started().pings.fireAll(),
    stop: async () => {
      running?.pings.stop();
      await running?.sources?.stop();
      await ingress.close();
      await running?.brokers.stop();
      eventLog.close();
      rmSync(urlFile, { force: true });
    },
  };
}

export { loadKnativeManifests, parseKnativeManifests, ManifestError, type KnativeManifests } from './manifests.js';
export type { ReplayRange } from './log-queries.js';
