/**
 * A counting HTTP proxy in front of the local API server: the functions' kubeconfig points at it, so
 * every request they make is counted by verb (get, list, watch, create, update, patch, delete) before
 * it is passed on. The local API server has no request counter of its own. The proxy swaps the bearer
 * token for the server's (read from the server's own kubeconfig when the first request arrives), so
 * the functions' kubeconfig can be written before the server starts. Watches stream through unchanged.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse, stringify } from 'yaml';

export type VerbCounts = Record<string, number>;

export interface ApiProxy {
  url: string;
  /** A copy of the counts since start, by verb. */
  counts(): VerbCounts;
  /** A copy of the counts since start, by `verb resource` ("create events", "patch drplanexecutions"). */
  byResource(): VerbCounts;
  /** Writes answered 409 Conflict since start (lost optimistic-concurrency races, and creates of a taken name). */
  conflicts(): number;
  close(): Promise<void>;
}

const WRITE_VERBS: Readonly<Record<string, string>> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** The Kubernetes verb of a request (a GET on a collection is a list, with `watch` a watch; a GET above the resources is discovery). */
export function verbOf(method: string, url: string): string {
  const write = WRITE_VERBS[method];
  if (write !== undefined) return write;
  const parsed = new URL(url, 'http://proxy');
  const watch = parsed.searchParams.get('watch');
  if (watch === '1' || watch === 'true') return 'watch';
  const parts = parsed.pathname.split('/').filter((part) => part !== '');
  const namespaced = parts.includes('namespaces');
  const core = parts[0] === 'api';
  // /api/v1/<plural>[/name] or /apis/<g>/<v>/<plural>[/name], optionally with namespaces/<ns> after the version
  const plural = (core ? 2 : 3) + (namespaced ? 2 : 0);
  if ((!core && parts[0] !== 'apis') || parts.length <= plural) return 'discovery';
  return parts.length > plural + 1 ? 'get' : 'list';
}

/** The resource (plural) a request is about, '' for discovery. */
export function resourceOf(url: string): string {
  const parts = new URL(url, 'http://proxy').pathname.split('/').filter((part) => part !== '');
  const plural = (parts[0] === 'api' ? 2 : 3) + (parts.includes('namespaces') ? 2 : 0);
  return parts[plural] ?? '';
}

/** Sums the counts of `after` minus `before`, by verb. */
export function difference(after: VerbCounts, before: VerbCounts): VerbCounts {
  const result: VerbCounts = {};
  for (const [verb, count] of Object.entries(after)) {
    const change = count - (before[verb] ?? 0);
    if (change !== 0) result[verb] = change;
  }
  return result;
}

export const WRITES: readonly string[] = Object.values(WRITE_VERBS);

export const total = (counts: VerbCounts, verbs?: readonly string[]): number =>
  Object.entries(counts)
    .filter(([verb]) => verbs === undefined || verbs.includes(verb))
    .reduce((sum, [, count]) => sum + count, 0);

function forward(upstream: Upstream | undefined, incoming: IncomingMessage, outgoing: ServerResponse, onStatus: (status: number) => void): void {
  if (upstream === undefined) {
    outgoing.writeHead(503).end('the API server is not up yet');
    return;
  }
  const headers = { ...incoming.headers, authorization: `Bearer ${upstream.token}` };
  const target = new URL(incoming.url ?? '/', upstream.url);
  const proxied = httpRequest(target, { method: incoming.method, headers }, (answer) => {
    onStatus(answer.statusCode ?? 502);
    outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(outgoing);
  });
  proxied.on('error', () => {
    if (!outgoing.headersSent) outgoing.writeHead(502);
    outgoing.end();
  });
  outgoing.on('close', () => {
    proxied.destroy();
  });
  incoming.pipe(proxied);
}

interface Upstream {
  url: string;
  token: string;
}

/** The plain-HTTP address and token of the API server whose kubeconfig is at `path`, once it exists. */
function readUpstream(path: string): Upstream | undefined {
  if (!existsSync(path)) return undefined;
  const config = parse(readFileSync(path, 'utf8')) as { clusters?: { cluster?: { server?: string } }[]; users?: { user?: { token?: string } }[] };
  const server = config.clusters?.[0]?.cluster?.server;
  const token = config.users?.[0]?.user?.token;
  return server === undefined || token === undefined ? undefined : { url: server.replace(/^https:/, 'http:'), token };
}

/** Starts the proxy in front of the API server whose kubeconfig will be at `serverKubeconfig`. */
export async function startApiProxy(serverKubeconfig: string): Promise<ApiProxy> {
  const counts: VerbCounts = {};
  const resources: VerbCounts = {};
  let upstream: Upstream | undefined;
  let conflicts = 0;
  const server: Server = createServer((incoming, outgoing) => {
    const verb = verbOf(incoming.method ?? 'GET', incoming.url ?? '/');
    counts[verb] = (counts[verb] ?? 0) + 1;
    const resource = `${verb} ${resourceOf(incoming.url ?? '/')}`;
    resources[resource] = (resources[resource] ?? 0) + 1;
    upstream ??= readUpstream(serverKubeconfig);
    forward(upstream, incoming, outgoing, (status) => {
      if (status === 409 && WRITE_VERBS[incoming.method ?? ''] !== undefined) conflicts += 1;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    byResource: () => ({ ...resources }),
    conflicts: () => conflicts,
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

/** A kubeconfig pointing at the proxy over plain HTTP (client-node allows plain HTTP only with TLS verification off; the proxy puts in the real token). */
export function writeProxyKubeconfig(path: string, proxyUrl: string): void {
  const name = 'drplan-bench';
  const text = stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: proxyUrl, 'insecure-skip-tls-verify': true } }],
    users: [{ name, user: { token: 'replaced-by-the-proxy' } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: 'default' } }],
    'current-context': name,
  });
  writeFileSync(path, text, { mode: 0o600 });
}
