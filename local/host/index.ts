/**
 * The function host: runs each function as faas-js-runtime processes (one per replica, each on its
 * own port) with the env of its Knative Service, behind one round-robin address per Service. Crashed
 * processes are restarted with backoff (replica.ts). It runs any module exporting `handle`: the built
 * bundles (`dist/<name>/index.js`) and small test fixtures alike.
 */
import { createServer } from 'node:net';
import { startServiceProxy, type ServiceProxy } from './proxy.js';
import { Replica, type ReplicaStatus } from './replica.js';
import type { FunctionSpec } from './service-spec.js';

export type { FunctionSpec } from './service-spec.js';
export type { ReplicaStatus } from './replica.js';

export interface FunctionHostOptions {
  functions: readonly FunctionSpec[];
  /** Added to every function's env, over its Service's (the kubeconfig, the broker address…). */
  commonEnv?: Readonly<Record<string, string>> | undefined;
  warn?: ((line: string) => void) | undefined;
  /** Each line a function process writes, when wanted. */
  output?: ((label: string, line: string) => void) | undefined;
  readinessTimeoutMs?: number | undefined;
  /** How long a request waits for a ready replica before 503 (default 10 s). */
  activationTimeoutMs?: number | undefined;
}

export interface FunctionHost {
  /** The address of a Service the host runs. */
  serviceUrl(namespace: string, name: string): string | undefined;
  replicas(namespace: string, name: string): ReplicaStatus[];
  /** Resolves when every replica is ready, or after `timeoutMs` with the labels of those that are not. */
  ready(timeoutMs?: number): Promise<string[]>;
  stop(): Promise<void>;
}

interface Hosted {
  spec: FunctionSpec;
  replicas: Replica[];
  proxy: ServiceProxy;
}

/** A port nothing listens on now (the process binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/** What every process inherits from the host: enough to run node, nothing of the host's cluster settings. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'SYSTEMROOT']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

async function host(spec: FunctionSpec, options: FunctionHostOptions): Promise<Hosted> {
  const env = { ...baseEnv(), ...spec.env, K_SERVICE: spec.name, K_CONFIGURATION: spec.name, K_REVISION: `${spec.name}-local`, ...options.commonEnv };
  const replicas: Replica[] = [];
  for (let index = 0; index < spec.replicas; index += 1) {
    replicas.push(
      new Replica({
        label: `${spec.namespace}/${spec.name}#${index + 1}`,
        entry: spec.entry,
        port: await freePort(),
        choosePort: freePort,
        // Each replica is a pod of its own: its HOSTNAME stays the same when the process restarts, as a
        // container's does in its pod (run-action resumes what an earlier boot of its pod held).
        env: { ...env, HOSTNAME: `${spec.name}-${index + 1}` },
        warn: options.warn ?? ((): void => undefined),
        output: options.output,
        readinessTimeoutMs: options.readinessTimeoutMs,
      }),
    );
  }
  for (const replica of replicas) replica.start();
  const proxy = await startServiceProxy({ replicas, activationTimeoutMs: options.activationTimeoutMs });
  return { spec, replicas, proxy };
}

export async function startFunctionHost(options: FunctionHostOptions): Promise<FunctionHost> {
  const hosted = new Map<string, Hosted>();
  const all = (): Hosted[] => [...hosted.values()];
  const stop = async (): Promise<void> => {
    await Promise.all(all().flatMap((h) => [...h.replicas.map((r) => r.stop()), h.proxy.close()]));
  };
  try {
    for (const spec of options.functions) hosted.set(`${spec.namespace}/${spec.name}`, await host(spec, options));
  } catch (error: unknown) {
    await stop();
    throw error;
  }
  return {
    serviceUrl: (namespace, name) => hosted.get(`${namespace}/${name}`)?.proxy.url,
    replicas: (namespace, name) => hosted.get(`${namespace}/${name}`)?.replicas.map((r) => r.status()) ?? [],
    ready: async (timeoutMs = 30_000) => {
      const replicas = all().flatMap((h) => h.replicas);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(replicas.map((r) => r.whenReady())), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
      return replicas.filter((r) => !r.isReady()).map((r) => `${r.status().label}: ${r.lastError()}`);
    },
    stop,
  };
}
