/**
 * Where the API server is and how to prove who we are: a kubeconfig file (current context or a given
 * one) or the in-cluster service account. Only static credentials are supported (bearer token, token
 * file, client certificate, basic auth): a user that authenticates with an exec or auth-provider plugin
 * is refused when the config is loaded, naming the user, rather than failing on the first request.
 *
 * `KubeConfig` answers the same questions as @kubernetes/client-node's class of that name
 * (`getCurrentCluster`, `getCurrentContext`, `getContextObject`, `applyToHTTPSOptions`), so `createKube`
 * takes either (`KubeConfigLike`): the functions use this one, the CLI and local tools still pass theirs.
 */
import { readFileSync } from 'node:fs';
import type { OutgoingHttpHeaders } from 'node:http';
import type { RequestOptions } from 'node:https';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

/** What the Kube client reads from a kubeconfig: ours, or @kubernetes/client-node's KubeConfig. */
export interface KubeConfigLike {
  getCurrentContext(): string;
  getContextObject(name: string): { namespace?: string | undefined } | null;
  getCurrentCluster(): { server: string } | null;
  /** Sets the TLS material (`ca`, `cert`, `key`, `rejectUnauthorized`, `servername`) and the Authorization header. */
  applyToHTTPSOptions(options: RequestOptions): Promise<void>;
}

export interface Cluster {
  name: string;
  server: string;
  caFile?: string | undefined;
  caData?: string | undefined;
  skipTLSVerify: boolean;
  tlsServerName?: string | undefined;
}

export interface User {
  name: string;
  token?: string | undefined;
  tokenFile?: string | undefined;
  certFile?: string | undefined;
  certData?: string | undefined;
  keyFile?: string | undefined;
  keyData?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
}

export interface Context {
  name: string;
  cluster: string;
  user: string;
  namespace?: string | undefined;
}

/** A token file (projected service-account tokens rotate) is read again after this long. */
export const TOKEN_REREAD_MS = 60_000;

export const ServiceAccountPaths = {
  token: '/var/run/secrets/kubernetes.io/serviceaccount/token',
  ca: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
  namespace: '/var/run/secrets/kubernetes.io/serviceaccount/namespace',
} as const;

const ClusterEntrySchema = z
  .object({
    server: z.string(),
    'certificate-authority': z.string().optional(),
    'certificate-authority-data': z.string().optional(),
    'insecure-skip-tls-verify': z.boolean().optional(),
    'tls-server-name': z.string().optional(),
  })
  .loose();

const UserEntrySchema = z
  .object({
    token: z.string().optional(),
    tokenFile: z.string().optional(),
    'client-certificate': z.string().optional(),
    'client-certificate-data': z.string().optional(),
    'client-key': z.string().optional(),
    'client-key-data': z.string().optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    exec: z.unknown().optional(),
    'auth-provider': z.unknown().optional(),
  })
  .loose();

const ContextEntrySchema = z.object({ cluster: z.string(), user: z.string().default(''), namespace: z.string().optional() }).loose();

const KubeconfigFileSchema = z
  .object({
    'current-context': z.string().nullish(),
    clusters: z.array(z.object({ name: z.string(), cluster: ClusterEntrySchema }).loose()).nullish(),
    users: z.array(z.object({ name: z.string(), user: UserEntrySchema.nullish() }).loose()).nullish(),
    contexts: z.array(z.object({ name: z.string(), context: ContextEntrySchema }).loose()).nullish(),
  })
  .loose();

type KubeconfigFile = z.infer<typeof KubeconfigFileSchema>;
type FileUser = z.infer<typeof UserEntrySchema>;

export interface KubeConfigInit {
  clusters: Cluster[];
  users: User[];
  contexts: Context[];
  currentContext: string;
  /** Clock for the token file's re-read; default the system clock. */
  now?: () => number;
}

interface CachedToken {
  value: string;
  readAt: number;
}

/** A loaded kubeconfig; files (CA, certificate, key, token) are read on first use, a token file again every minute. */
export class KubeConfig implements KubeConfigLike {
  readonly clusters: readonly Cluster[];
  readonly users: readonly User[];
  readonly contexts: readonly Context[];
  readonly currentContext: string;
  readonly #now: () => number;
  readonly #files = new Map<string, Buffer>();
  readonly #tokens = new Map<string, CachedToken>();

  constructor(init: KubeConfigInit) {
    this.clusters = init.clusters;
    this.users = init.users;
    this.contexts = init.contexts;
    this.currentContext = init.currentContext;
    this.#now = init.now ?? Date.now;
  }

  getCurrentContext(): string {
    return this.currentContext;
  }

  getContextObject(name: string): Context | null {
    return this.contexts.find((context) => context.name === name) ?? null;
  }

  getCurrentCluster(): Cluster | null {
    const context = this.getContextObject(this.currentContext);
    return this.clusters.find((cluster) => cluster.name === context?.cluster) ?? null;
  }

  getCurrentUser(): User | null {
    const context = this.getContextObject(this.currentContext);
    return this.users.find((user) => user.name === context?.user) ?? null;
  }

  applyToHTTPSOptions(options: RequestOptions): Promise<void> {
    const cluster = this.getCurrentCluster();
    if (cluster !== null) this.#applyCluster(cluster, options);
    const user = this.getCurrentUser();
    if (user !== null) this.#applyUser(user, options);
    return Promise.resolve();
  }

  #applyCluster(cluster: Cluster, options: RequestOptions): void {
    if (cluster.skipTLSVerify) options.rejectUnauthorized = false;
    if (cluster.tlsServerName !== undefined) options.servername = cluster.tlsServerName;
    const ca = this.#material(cluster.caFile, cluster.caData);
    if (ca !== undefined) options.ca = ca;
  }

  #applyUser(user: User, options: RequestOptions): void {
    const cert = this.#material(user.certFile, user.certData);
    if (cert !== undefined) options.cert = cert;
    const key = this.#material(user.keyFile, user.keyData);
    if (key !== undefined) options.key = key;
    const authorization = this.#authorization(user);
    if (authorization === undefined) return;
    options.headers = { ...headerRecord(options.headers), Authorization: authorization };
  }

  #material(file: string | undefined, data: string | undefined): Buffer | undefined {
    if (data !== undefined && data !== '') return Buffer.from(data, 'base64');
    if (file === undefined || file === '') return undefined;
    const cached = this.#files.get(file) ?? readFileSync(file);
    this.#files.set(file, cached);
    return cached;
  }

  #authorization(user: User): string | undefined {
    if (user.token !== undefined && user.token !== '') return `Bearer ${user.token}`;
    if (user.tokenFile !== undefined && user.tokenFile !== '') return `Bearer ${this.#tokenFrom(user.tokenFile)}`;
    if (user.username === undefined) return undefined;
    return `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}`;
  }

  #tokenFrom(file: string): string {
    const now = this.#now();
    const cached = this.#tokens.get(file);
    if (cached !== undefined && now - cached.readAt < TOKEN_REREAD_MS) return cached.value;
    const value = readFileSync(file, 'utf8').trim();
    this.#tokens.set(file, { value, readAt: now });
    return value;
  }
}

/** Request headers as a record (Node also accepts a flat array of names and values; nothing here sends one). */
export function headerRecord(headers: RequestOptions['headers']): OutgoingHttpHeaders {
  const record: OutgoingHttpHeaders = {};
  if (headers === undefined || isHeaderList(headers)) return record;
  for (const [name, value] of Object.entries(headers)) record[name] = value;
  return record;
}

const isHeaderList = (headers: NonNullable<RequestOptions['headers']>): headers is readonly string[] => Array.isArray(headers);

const resolveFrom = (baseDir: string, file: string | undefined): string | undefined =>
  file === undefined || file === '' || isAbsolute(file) ? file : join(baseDir, file);

function refusePlugins(name: string, user: FileUser | null | undefined, source: string): void {
  const plugin = user?.exec !== undefined ? 'an exec plugin' : user?.['auth-provider'] !== undefined ? 'an auth-provider plugin' : undefined;
  if (plugin === undefined) return;
  throw new Error(
    `${source}: user "${name}" authenticates with ${plugin}, which the drplan functions do not run; give it a token, tokenFile or client certificate instead`,
  );
}

function toUser(name: string, user: FileUser | null | undefined, baseDir: string): User {
  return {
    name,
    token: user?.token,
    tokenFile: resolveFrom(baseDir, user?.tokenFile),
    certFile: resolveFrom(baseDir, user?.['client-certificate']),
    certData: user?.['client-certificate-data'],
    keyFile: resolveFrom(baseDir, user?.['client-key']),
    keyData: user?.['client-key-data'],
    username: user?.username,
    password: user?.password,
  };
}

function schemaError(error: z.ZodError, source: string): Error {
  const issue = error.issues[0];
  const where = issue === undefined ? '' : issue.path.map(String).join('.');
  return new Error(`${source}: not a valid kubeconfig: ${where === '' ? '' : `${where}: `}${issue?.message ?? error.message}`, { cause: error });
}

function parseFile(text: string, source: string): KubeconfigFile {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error: unknown) {
    throw new Error(`${source}: not valid YAML`, { cause: error });
  }
  const parsed = KubeconfigFileSchema.safeParse(document ?? {});
  if (!parsed.success) throw schemaError(parsed.error, source);
  return parsed.data;
}

export interface ParseOptions {
  /** Names the file in errors and resolves relative paths: `/home/me/.kube/config`. */
  path: string;
  /** The context to use instead of `current-context`. */
  context?: string | undefined;
  now?: () => number;
}

/** A kubeconfig's text; throws naming the file and field when it is not usable. */
export function parseKubeConfig(text: string, options: ParseOptions): KubeConfig {
  const file = parseFile(text, options.path);
  const baseDir = dirname(options.path);
  const currentContext = options.context ?? file['current-context'] ?? '';
  const contexts = (file.contexts ?? []).map(({ name, context }) => ({ name, cluster: context.cluster, user: context.user, namespace: context.namespace }));
  const context = contexts.find((found) => found.name === currentContext);
  if (options.context !== undefined && context === undefined) throw new Error(`${options.path}: no context named "${options.context}"`);
  const fileUser = file.users?.find((found) => found.name === context?.user);
  if (fileUser !== undefined) refusePlugins(fileUser.name, fileUser.user, options.path);
  const clusters = (file.clusters ?? []).map(({ name, cluster }) => ({
    name,
    server: cluster.server,
    caFile: resolveFrom(baseDir, cluster['certificate-authority']),
    caData: cluster['certificate-authority-data'],
    skipTLSVerify: cluster['insecure-skip-tls-verify'] ?? false,
    tlsServerName: cluster['tls-server-name'],
  }));
  const users = (file.users ?? []).map(({ name, user }) => toUser(name, user, baseDir));
  return new KubeConfig({ clusters, users, contexts, currentContext, now: options.now });
}

/** Reads and parses one kubeconfig file. */
export function loadKubeConfigFile(path: string, context?: string): KubeConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error: unknown) {
    throw new Error(`kubeconfig ${path} cannot be read`, { cause: error });
  }
  return parseKubeConfig(text, { path, context });
}

function readNamespace(file: string): string | undefined {
  try {
    const namespace = readFileSync(file, 'utf8').trim();
    return namespace === '' ? undefined : namespace;
  } catch {
    return undefined;
  }
}

/** The pod's service account: `KUBERNETES_SERVICE_HOST/PORT`, the mounted CA and token (re-read every minute). */
export function inClusterConfig(env: NodeJS.ProcessEnv, now?: () => number): KubeConfig {
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return new KubeConfig({
    clusters: [{ name: 'in-cluster', server, caFile: ServiceAccountPaths.ca, skipTLSVerify: false }],
    users: [{ name: 'in-cluster', tokenFile: ServiceAccountPaths.token }],
    contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'in-cluster', namespace: readNamespace(ServiceAccountPaths.namespace) }],
    currentContext: 'in-cluster',
    now,
  });
}

/** No kubeconfig anywhere: `http://localhost:8080`, as kubectl and @kubernetes/client-node assume. */
export function fallbackConfig(): KubeConfig {
  return new KubeConfig({
    clusters: [{ name: 'cluster', server: 'http://localhost:8080', skipTLSVerify: false }],
    users: [{ name: 'user' }],
    contexts: [{ name: 'loaded-context', cluster: 'cluster', user: 'user' }],
    currentContext: 'loaded-context',
  });
}
