/**
 * The whole local stack, as `drplan dev` runs it: the local API server (state and kubeconfig in the
 * state folder), the function bundles (built when missing or stale) run by the function host with the
 * env of their Knative Services, and the embedded eventing playing the Brokers, Triggers and sources
 * of the `knative/` manifests. `startDevStack` is what the command and the tests call.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { parseDuration } from '../shared/api/duration.js';
import { startApiServer, type ApiServer } from './apiserver/index.js';
import { loadKnativeManifests, openEventing, type Eventing, type KnativeManifests } from './eventing/index.js';
import type { KnativeService } from './eventing/knative-schemas.js';
import type { Located } from './eventing/manifests.js';
import { ensureBundles } from './host/bundles.js';
import { identityObjects, installIdentities } from './identities.js';
import { startFunctionHost, type FunctionHost, type FunctionSpec } from './host/index.js';
import { envOf, findBundle, replicasOf } from './host/service-spec.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface DevStackOptions {
  /** API server state, kubeconfig (`<stateDir>/kubeconfig`) and event log (`<stateDir>/eventing/`). */
  stateDir: string;
  /** Default: the project's `knative/`. */
  manifestsDir?: string | undefined;
  /** Where `<name>/index.js` bundles are; default the project's `dist/` (built when missing or stale). */
  bundlesDir?: string | undefined;
  /** API server port (0: a free one; default 0). */
  apiServerPort?: number | undefined;
  /** Broker ingress port (default 0). */
  brokerPort?: number | undefined;
  /**
   * PingSources fire every N seconds instead of on their cron schedules. Default: `DRPLAN_TICK_SECONDS`,
   * else the Services' `RECONCILE_INTERVAL` when they share one (the period the design assumes, ADR 8),
   * else the schedules.
   */
  tickSeconds?: number | undefined;
  /** Replicas per Service name, over the Service's min-scale. */
  replicas?: Readonly<Record<string, number>> | undefined;
  /** Added to every function's env (tests use it for fixture settings). */
  extraEnv?: Readonly<Record<string, string>> | undefined;
  /** Run the simulated Job controller (default true). */
  jobController?: boolean | undefined;
  log?: ((line: string) => void) | undefined;
  /** Each line a function process writes. */
  functionOutput?: ((label: string, line: string) => void) | undefined;
  /** One line per event delivery. */
  trace?: ((line: string) => void) | undefined;
}

export interface DevFunction {
  namespace: string;
  name: string;
  url: string;
  replicas: number;
}

export interface DevStack {
  apiServer: ApiServer;
  kubeconfigPath: string;
  /** `namespace/name` → ingress URL of each broker. */
  brokers: Record<string, string>;
  functions: DevFunction[];
  /** Services of the manifests with no bundle here: their events go to a stand-in sink. */
  standIns: string[];
  eventLogPath: string;
  eventing: Eventing;
  host: FunctionHost;
  stop(): Promise<void>;
}

/** The broker a function posts its extra replies to: the one in its namespace, else the only one. */
function brokerFor(namespace: string, manifests: KnativeManifests): { namespace: string; name: string } | undefined {
  return manifests.brokers.find((b) => b.namespace === namespace) ?? (manifests.brokers.length === 1 ? manifests.brokers[0] : undefined);
}

function functionSpecs(
  manifests: KnativeManifests,
  options: DevStackOptions,
  context: { bundlesDir: string; env: (service: Located<KnativeService>) => Record<string, string> },
): { specs: FunctionSpec[]; standIns: string[] } {
  const specs: FunctionSpec[] = [];
  const standIns: string[] = [];
  const log = options.log ?? ((): void => undefined);
  for (const service of manifests.services) {
    const entry = findBundle(service.object, context.bundlesDir);
    if (entry === undefined) {
      standIns.push(`${service.namespace}/${service.name}`);
      continue;
    }
    const { env, skipped } = envOf(service);
    if (skipped.length > 0)
      log(`function ${service.namespace}/${service.name}: env ${skipped.join(', ')} use valueFrom, which the local stack cannot resolve; left unset`);
    specs.push({
      namespace: service.namespace,
      name: service.name,
      entry,
      env: { ...env, ...context.env(service) },
      replicas: options.replicas?.[service.name] ?? replicasOf(service.object),
    });
  }
  return { specs, standIns };
}

/** The `RECONCILE_INTERVAL` the Services agree on, in seconds; undefined when none sets one (or they differ). */
export function reconcileIntervalSeconds(manifests: KnativeManifests): number | undefined {
  const values = new Set(
    manifests.services.flatMap(
      (service) => service.object.spec.template.spec.containers[0]?.env?.filter((v) => v.name === 'RECONCILE_INTERVAL').map((v) => v.value ?? '') ?? [],
    ),
  );
  const [only] = [...values];
  const ms = values.size === 1 && only !== undefined ? parseDuration(only) : undefined;
  return ms === undefined || ms <= 0 ? undefined : ms / 1000;
}

/** `DRPLAN_TICK_SECONDS`, when set: a positive number of seconds. */
function tickFromEnv(): number | undefined {
  const text = process.env.DRPLAN_TICK_SECONDS?.trim() ?? '';
  if (text === '') return undefined;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`DRPLAN_TICK_SECONDS must be a positive number of seconds, not "${text}"`);
  return seconds;
}

function tickOf(options: DevStackOptions, manifests: KnativeManifests, log: (line: string) => void): number | undefined {
  const chosen = options.tickSeconds ?? tickFromEnv();
  if (chosen !== undefined) return chosen;
  const seconds = reconcileIntervalSeconds(manifests);
  if (seconds !== undefined && manifests.pingSources.length > 0)
    log(`resync tick every ${seconds}s locally (the Services' RECONCILE_INTERVAL); on a cluster the PingSource's cron decides (once a minute at most)`);
  return seconds;
}

interface Started {
  apiServer?: ApiServer;
  eventing?: Eventing;
  host?: FunctionHost;
}

/**
 * Stops everything. The host is told first (so that no function is restarted while the stack stops,
 * e.g. after a Ctrl-C that reached the function processes too), then the eventing (deliveries under
 * way stay pending in the event log), then the API server.
 */
async function stopAll(started: Started): Promise<void> {
  const host = started.host?.stop();
  await started.eventing?.stop();
  await host;
  await started.apiServer?.stop();
}

async function startParts(options: DevStackOptions, manifests: KnativeManifests, started: Started): Promise<DevStack> {
  const log = options.log ?? ((): void => undefined);
  const bundlesDir = options.bundlesDir ?? join(ROOT, 'dist');
  if (options.bundlesDir === undefined) ensureBundles(ROOT, log);
  const apiServer = await startApiServer({ stateDir: options.stateDir, port: options.apiServerPort ?? 0, jobController: options.jobController ?? true, log });
  started.apiServer = apiServer;
  const accounts = await installIdentities(apiServer, identityObjects(options.manifestsDir ?? join(ROOT, 'knative')));
  const eventing = await openEventing({ manifests, stateDir: join(options.stateDir, 'eventing'), port: options.brokerPort, warn: log, trace: options.trace });
  started.eventing = eventing;
  const env = (service: Located<KnativeService>): Record<string, string> => {
    const broker = brokerFor(service.namespace, manifests);
    const sink: Record<string, string> =
      broker === undefined ? {} : { K_SINK: eventing.brokerUrl(broker.namespace, broker.name), BROKER_URL: eventing.brokerUrl(broker.namespace, broker.name) };
    return { ...sink, KUBECONFIG: kubeconfigOf(service), ...options.extraEnv };
  };
  /** A kubeconfig with a token of the Service's ServiceAccount (RBAC decides what it may do); the admin's when it names none defined under knative/. */
  const kubeconfigOf = (service: Located<KnativeService>): string => {
    const account = service.object.spec.template.spec.serviceAccountName;
    if (account === undefined || !accounts.has(`${service.namespace}/${account}`)) {
      log(`function ${service.namespace}/${service.name}: no ServiceAccount of its own under the manifests; it runs with the admin's credentials`);
      return apiServer.kubeconfigPath;
    }
    const path = join(options.stateDir, 'kubeconfigs', `${service.namespace}.${account}`);
    apiServer.writeServiceAccountKubeconfig(path, service.namespace, account);
    return path;
  };
  const { specs, standIns } = functionSpecs(manifests, options, { bundlesDir, env });
  const host = await startFunctionHost({ functions: specs, warn: log, output: options.functionOutput });
  started.host = host;
  const notReady = await host.ready(30_000);
  if (notReady.length > 0) log(`not ready yet (they keep restarting): ${notReady.join('; ')}`);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(apiServer.kubeconfigPath);
  await eventing.start({ serviceUrl: (namespace, name) => host.serviceUrl(namespace, name), kubeConfig, tickSeconds: tickOf(options, manifests, log) });
  return {
    apiServer,
    kubeconfigPath: apiServer.kubeconfigPath,
    brokers: Object.fromEntries(manifests.brokers.map((b) => [`${b.namespace}/${b.name}`, eventing.brokerUrl(b.namespace, b.name)])),
    functions: specs.map((spec) => ({
      namespace: spec.namespace,
      name: spec.name,
      url: host.serviceUrl(spec.namespace, spec.name) ?? '',
      replicas: spec.replicas,
    })),
    standIns,
    eventLogPath: eventing.eventLog.path,
    eventing,
    host,
    stop: () => stopAll(started),
  };
}

/** Starts the local stack; on failure stops what was started and throws. */
export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const manifests = loadKnativeManifests(options.manifestsDir ?? join(ROOT, 'knative'));
  const started: Started = {};
  try {
    return await startParts(options, manifests, started);
  } catch (error: unknown) {
    await stopAll(started).catch(() => undefined);
    throw error;
  }
}
