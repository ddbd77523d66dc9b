/**
 * Where the end-to-end tests run. By default on the local stack each file starts; with
 * `DRPLAN_E2E_KUBECONFIG` set, on that cluster instead (drplan installed there as docs/install.md
 * says). The demo target still runs in the test process; `DRPLAN_E2E_TARGET_URL` is where the
 * cluster's pods reach it, and the suite listens on 0.0.0.0 at that URL's port. Waits allow for the
 * cluster's resync tick (`DRPLAN_E2E_TICK`). See docs/e2e-on-a-cluster.md.
 */
import { existsSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { API_VERSION, GROUP, Kinds, Plurals } from '../../shared/api/index.js';
import { createKube } from '../../shared/kube/client.js';
import type { Kube, KubeObject, ObjectKey } from '../../shared/kube/types.js';
import type { DemoTarget } from '../../local/demo-target/index.js';

export const E2eVariables = {
  kubeconfig: 'DRPLAN_E2E_KUBECONFIG',
  targetUrl: 'DRPLAN_E2E_TARGET_URL',
  tick: 'DRPLAN_E2E_TICK',
} as const;

/** The knative/ PingSource fires once a minute (cron has minute resolution). */
export const DEFAULT_CLUSTER_TICK_SECONDS = 60;
/** Where the functions run on a cluster installed from knative/. */
export const FUNCTIONS_NAMESPACE = 'drplan-system';
const GUIDE = 'docs/e2e-on-a-cluster.md';

export interface ClusterSettings {
  kubeconfigPath: string;
  /** `http://HOST:PORT`: the demo target as the cluster's pods reach it. */
  targetUrl: string;
  /** The port the suite listens on (0.0.0.0). */
  targetPort: number;
  /** The cluster's resync tick, in seconds. */
  tickSeconds: number;
}

export type E2eMode = { kind: 'local' } | ({ kind: 'cluster' } & ClusterSettings);

const isSet = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

function kubeconfigOf(value: string, cwd: string): string {
  const path = resolve(cwd, value.trim());
  if (!existsSync(path)) throw new Error(`${E2eVariables.kubeconfig}: no kubeconfig at ${path}`);
  return path;
}

/** Why `url` cannot be where the cluster reaches the demo target, or undefined when it can. */
function targetFault(url: URL): string | undefined {
  if (url.protocol !== 'http:') return `the scheme must be http (the demo target serves plain HTTP), not ${url.protocol.replace(/:$/, '')}`;
  if (url.port === '') return 'it needs an explicit port other than 80 (the suite listens on it)';
  if (url.username !== '' || url.password !== '') return 'it must not carry credentials';
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') return 'it must have no path, query or fragment';
  return undefined;
}

function targetOf(value: string | undefined): { targetUrl: string; targetPort: number } {
  const name = E2eVariables.targetUrl;
  if (!isSet(value)) {
    throw new Error(
      `${name} is required when ${E2eVariables.kubeconfig} is set: the http://HOST:PORT under which the cluster's pods reach this machine (the demo target listens on 0.0.0.0:PORT); see ${GUIDE}`,
    );
  }
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch (error: unknown) {
    throw new Error(`${name} must be http://HOST:PORT, not "${value}": it is not a URL`, { cause: error });
  }
  const fault = targetFault(url);
  if (fault !== undefined) throw new Error(`${name} must be http://HOST:PORT, not "${value}": ${fault}`);
  return { targetUrl: url.origin, targetPort: Number(url.port) };
}

function tickOf(value: string | undefined): number {
  if (!isSet(value)) return DEFAULT_CLUSTER_TICK_SECONDS;
  const seconds = Number(value.trim());
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new Error(`${E2eVariables.tick} must be a positive number of seconds (the cluster's resync tick), not "${value}"`);
  return seconds;
}

/** The mode `env` asks for; throws naming the variable when one is missing or bad. */
export function e2eModeFrom(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): E2eMode {
  const kubeconfig = env[E2eVariables.kubeconfig];
  if (!isSet(kubeconfig)) return { kind: 'local' };
  const kubeconfigPath = kubeconfigOf(kubeconfig, cwd);
  return { kind: 'cluster', kubeconfigPath, ...targetOf(env[E2eVariables.targetUrl]), tickSeconds: tickOf(env[E2eVariables.tick]) };
}

/** This process's mode, decided once when the tests load: a bad setting fails every file that uses it at once. */
export const E2E_MODE: E2eMode = e2eModeFrom(process.env);

export const onCluster = (): boolean => E2E_MODE.kind === 'cluster';

/** The `skip` of a test that needs the local stack itself: the reason in cluster mode, else false. */
export function localStackOnly(why: string): string | false {
  return E2E_MODE.kind === 'cluster' ? `needs the local stack itself (${why}); skipped on a cluster (${E2eVariables.kubeconfig} is set)` : false;
}

/** A wait that takes up to `localMs` on the local stack; on a cluster, `ticks` of its resync ticks longer. */
export function allowing(localMs: number, ticks = 3): number {
  return E2E_MODE.kind === 'cluster' ? localMs + ticks * E2E_MODE.tickSeconds * 1000 : localMs;
}

/** Tells this run's objects apart from a previous run's, still being deleted on the cluster. */
const RUN_ID = Math.random().toString(36).slice(2, 7);

/** A test's namespace: `base`, with this run's id appended on a cluster. */
export const namespaceFor = (base: string): string => (E2E_MODE.kind === 'cluster' ? `${base}-${RUN_ID}` : base);

export interface Connection {
  kube: Kube;
  kubeConfig: KubeConfig;
  kubeconfigPath: string;
}

/** A client of the cluster (or local API server) of a kubeconfig file, with its current context. */
export function connectTo(kubeconfigPath: string): Connection {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  return { kube: createKube(kubeConfig), kubeConfig, kubeconfigPath };
}

const crdKey = (name: string): ObjectKey => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name });

/** The CustomResourceDefinitions among `names` that the cluster does not have. */
export async function missingCrds(kube: Kube, names: readonly string[]): Promise<string[]> {
  const found = await Promise.all(names.map((name) => kube.get(crdKey(name))));
  return names.filter((_name, index) => found[index] === undefined);
}

/** What drplan needs on the cluster, as `Kind name`, that is not there. */
async function missingParts(kube: Kube): Promise<string[]> {
  const crds = await missingCrds(
    kube,
    Object.values(Plurals).map((plural) => `${plural}.${GROUP}`),
  );
  const missing = crds.map((name) => `CustomResourceDefinition ${name}`);
  const namespace = await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: FUNCTIONS_NAMESPACE });
  return namespace === undefined ? [...missing, `Namespace ${FUNCTIONS_NAMESPACE}`] : missing;
}

/** Fails unless the cluster answers and has drplan's three CRDs and the functions' namespace. */
export async function checkCluster(kube: Kube, kubeConfig: KubeConfig, settings: ClusterSettings): Promise<void> {
  const where = `the cluster of ${E2eVariables.kubeconfig} (${settings.kubeconfigPath}, server ${kubeConfig.getCurrentCluster()?.server ?? 'none'})`;
  let missing: string[];
  try {
    missing = await missingParts(kube);
  } catch (error: unknown) {
    throw new Error(`cannot check ${where} for drplan's CRDs and namespace: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (missing.length > 0)
    throw new Error(`${where} has no ${missing.join(', ')}: install drplan there first as docs/install.md says (CRDs, then kubectl apply -R -f knative/)`);
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const busy = error.code === 'EADDRINUSE' ? ' (another test file in cluster mode? run the files one at a time: --test-concurrency=1)' : '';
      reject(new Error(`${E2eVariables.targetUrl}: cannot listen on 0.0.0.0:${port}: ${error.message}${busy}`, { cause: error }));
    });
    server.listen(port, '0.0.0.0', () => {
      resolveListen();
    });
  });
}

/**
 * `target` under `settings.targetUrl`: listens on 0.0.0.0 at that URL's port and passes every
 * connection on to the target (which listens on 127.0.0.1 only). Its `stop` stops both.
 */
export async function exposeTarget(target: DemoTarget, settings: ClusterSettings): Promise<DemoTarget> {
  const local = new URL(target.url);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    const upstream = connect(Number(local.port), local.hostname);
    for (const end of [socket, upstream]) {
      sockets.add(end);
      end.on('close', () => sockets.delete(end));
    }
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  await listen(server, settings.targetPort);
  const stop = async (): Promise<void> => {
    const closed = new Promise<void>((done) =>
      server.close(() => {
        done();
      }),
    );
    for (const socket of sockets) socket.destroy();
    await closed;
    await target.stop();
  };
  return { ...target, url: settings.targetUrl, stop };
}

/** How an example folder runs on a cluster, as written (its objects in the namespaces its YAML names). */
export type ExamplePlacement = { refusal: string } | { remove(created: readonly ObjectKey[]): Promise<void> };

const KIND_ORDER: readonly string[] = [Kinds.execution, Kinds.plan, Kinds.workflow];

/** The example's DR objects (its executions included; executions first, then plans, then workflows) and the Namespaces it declares. */
async function footprintOf(dir: string): Promise<{ objects: ObjectKey[]; namespaces: ObjectKey[] }> {
  const { readExample } = await import('../../local/drill/example.js');
  const example = readExample(dir);
  const dr: KubeObject[] = [
    example.execute,
    ...(example.revert === undefined ? [] : [example.revert]),
    ...example.setup.filter((o) => o.apiVersion === API_VERSION),
  ];
  const objects = dr
    .map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name ?? '', namespace: o.metadata.namespace ?? 'default' }))
    .sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
  const namespaces = example.setup.filter((o) => o.kind === 'Namespace').map((o) => ({ apiVersion: 'v1', kind: 'Namespace', name: o.metadata.name ?? '' }));
  return { objects, namespaces };
}

/** The keys among `keys` that name an existing object. */
async function existing(kube: Kube, keys: readonly ObjectKey[]): Promise<ObjectKey[]> {
  const found = await Promise.all(keys.map((key) => kube.get(key)));
  return keys.filter((_key, index) => found[index] !== undefined);
}

/**
 * Whether the example in `dir` can run on the cluster: not when a CRD among `crds` (what its actions
 * create) is missing, nor when one of its DR objects exists already (the run would take it over and the
 * clean-up delete it). Else `remove` deletes what it left: `created` (what its actions made), its DR
 * objects, and the namespaces it declares that did not exist before.
 */
export async function placeExample(kube: Kube, dir: string, crds: readonly string[]): Promise<ExamplePlacement> {
  const missing = await missingCrds(kube, crds);
  if (missing.length > 0) return { refusal: `the cluster has no CustomResourceDefinition ${missing.join(', ')}, which the example's actions create` };
  const { objects, namespaces } = await footprintOf(dir);
  const taken = await existing(kube, objects);
  if (taken.length > 0)
    return { refusal: `${taken.map((k) => `${k.kind} ${k.namespace ?? ''}/${k.name}`).join(', ')} already on the cluster: the example would take it over` };
  const before = await existing(kube, namespaces);
  const ours = namespaces.filter((key) => !before.includes(key));
  return {
    remove: async (created) => {
      for (const key of [...created, ...objects, ...ours]) await kube.remove(key);
    },
  };
}
