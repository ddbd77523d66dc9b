/**
 * The embedded local Kubernetes API server: `startApiServer` opens the state folder, registers the
 * project's CRDs, listens on 127.0.0.1, writes a kubeconfig and (by default) starts the simulated Job
 * controller. See docs/local-apiserver.md for what is supported and docs/adr/0003 for the storage.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bootstrap } from './bootstrap.js';
import { stateCertificate } from './certificate.js';
import type { ServerContext } from './context.js';
import { faultInjector, type ApiServerFaults, type ConflictFaults } from './faults.js';
import { startJobController } from './job-controller.js';
import { writeKubeconfig } from './kubeconfig.js';
import { dualServer, type ConnectionTimeouts } from './listener.js';
import { OpenApiDocuments } from './openapi-cache.js';
import { Registry } from './registry.js';
import { serviceAccountToken } from './authn.js';
import { Authorizer } from './rbac.js';
import { requestListener } from './server.js';
import { Store } from './store.js';
import { WatchHub } from './watch-hub.js';
import { WriteAheadLog } from './wal.js';

export interface ApiServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Where state (snapshot + write-ahead log) and, by default, the kubeconfig live. */
  stateDir: string;
  /** The bearer token clients must send; a random one when absent. */
  token?: string;
  /** Folders of CRD YAML registered at start; default: the project's `knative/crds/` and `local/apiserver/crds/`. */
  crdDirs?: string[];
  /** Start the simulated Job controller (default true). */
  jobController?: boolean;
  log?: (line: string) => void;
  /** Default `<stateDir>/kubeconfig`. */
  kubeconfigPath?: string;
  /** How many recent events a watch can resume from (default 10,000). */
  watchHistorySize?: number;
  /** How often a watch with `allowWatchBookmarks` gets a BOOKMARK (default 60 s). */
  bookmarkIntervalMs?: number;
  /** Watch duration when the client sets no `timeoutSeconds` (default 1800 s). */
  watchTimeoutSeconds?: number;
  /** Injected 409 Conflicts from the start (tests; see faults.ts); also switched at run time through `faults`. */
  faults?: ConflictFaults;
  /** How long a connection may take to send its first request's headers (default 10 s). */
  timeouts?: ConnectionTimeouts;
}

export interface ApiServer {
  /** `http://127.0.0.1:<port>`: plain HTTP, for in-process clients. */
  url: string;
  /** `https://127.0.0.1:<port>` (same port): what the kubeconfig points at. */
  secureUrl: string;
  /** PEM of the self-signed certificate served on `secureUrl`. */
  caCertificate: string;
  /** The admin's token (group system:masters): the kubeconfig's user. */
  token: string;
  kubeconfigPath: string;
  /**
   * A kubeconfig at `path` that authenticates as the ServiceAccount `namespace/name` (which must exist
   * for its requests to be accepted): what a pod running as that account would use. RBAC decides what it may do.
   */
  writeServiceAccountKubeconfig(path: string, namespace: string, name: string): void;
  /** Fault injection for tests: `faults.set({ conflictRatio: 0.2, … })`, `faults.clear()`, `faults.counts()`. */
  faults: ApiServerFaults;
  /** Tests: the next `count` batches of writes fail to reach the disk (as when it is full): answered 500, changing nothing. */
  failNextWrites(count: number): void;
  stop(): Promise<void>;
}

/** The CRD folders shipped with the project that exist in this checkout. */
export function defaultCrdDirs(): string[] {
  const candidates = [fileURLToPath(new URL('../../knative/crds/', import.meta.url)), fileURLToPath(new URL('./crds/', import.meta.url))];
  return candidates.filter((dir) => existsSync(dir));
}

function openState(options: ApiServerOptions): { context: ServerContext; hub: WatchHub } {
  const { wal, state } = WriteAheadLog.open(options.stateDir);
  const store = new Store(wal, state);
  const context: ServerContext = { registry: new Registry(), store, now: () => new Date() };
  const hub = new WatchHub(store.resourceVersion, options.watchHistorySize ?? 10_000);
  store.onCommit((events) => {
    hub.publish(events);
  });
  try {
    bootstrap(context, options.crdDirs ?? defaultCrdDirs());
  } catch (error: unknown) {
    store.close();
    throw error;
  }
  return { context, hub };
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const log = options.log ?? ((): void => undefined);
  const host = options.host ?? '127.0.0.1';
  const { context, hub } = openState(options);
  await context.store.commit();
  const token = options.token ?? randomBytes(32).toString('hex');
  let address = '';
  const certificate = stateCertificate(options.stateDir);
  const faults = faultInjector(options.faults);
  const server = dualServer(
    requestListener({
      context,
      token,
      authorizer: new Authorizer(context.store),
      log,
      faults,
      openapi: new OpenApiDocuments(context.registry),
      serverAddress: () => address,
      watch: { hub, bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000, defaultTimeoutSeconds: options.watchTimeoutSeconds ?? 1800 },
    }),
    certificate,
    options.timeouts,
  );
  const bound = await server.listen(options.port ?? 0, host).catch((error: unknown) => {
    context.store.close();
    throw new Error(`the API server cannot listen on ${host}:${options.port ?? 0}`, { cause: error });
  });
  address = `${host}:${bound.port}`;
  const [url, secureUrl] = [`http://${address}`, `https://${address}`];
  const kubeconfigPath = options.kubeconfigPath ?? join(options.stateDir, 'kubeconfig');
  writeKubeconfig(kubeconfigPath, { server: secureUrl, certificateAuthority: certificate.cert }, token);
  const jobs = options.jobController === false ? undefined : startJobController({ url, token, log });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await jobs?.stop();
      await server.close();
      context.store.close();
    })();
    return stopping;
  };
  const writeServiceAccountKubeconfig = (path: string, namespace: string, name: string): void => {
    writeKubeconfig(path, { server: secureUrl, certificateAuthority: certificate.cert }, serviceAccountToken(token, namespace, name));
  };
  const failNextWrites = (count: number): void => {
    context.store.failNextWrites(count);
  };
  return { url, secureUrl, caCertificate: certificate.cert, token, kubeconfigPath, faults, failNextWrites, writeServiceAccountKubeconfig, stop };
}
