/** Shared by the API server tests: a server on a free port over a temp state folder, and raw requests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiException, KubeConfig } from '@kubernetes/client-node';
import { startApiServer, type ApiServer, type ApiServerOptions } from '../../local/apiserver/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The project's CRDs (knative/crds) and the Clusternet CRDs the local API server serves. */
export function testCrdDirs(): string[] {
  return [join(root, 'knative/crds'), join(root, 'local/apiserver/crds')];
}

export interface TestServer {
  server: ApiServer;
  kubeConfig: KubeConfig;
  stateDir: string;
  /** Stops the server (idempotent) without removing the state folder. */
  stop(): Promise<void>;
  /** Stops the server and removes the state folder. */
  dispose(): Promise<void>;
}

export async function startTestServer(options: Partial<ApiServerOptions> = {}): Promise<TestServer> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'drplan-apiserver-'));
  const server = await startApiServer({ crdDirs: testCrdDirs(), jobController: false, ...options, stateDir, port: 0 });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(server.kubeconfigPath);
  const stop = (): Promise<void> => server.stop();
  return {
    server,
    kubeConfig,
    stateDir,
    stop,
    dispose: async () => {
      await stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: Record<string, unknown> | undefined;
}

export interface RawRequest {
  method?: string;
  body?: string | Uint8Array;
  contentType?: string;
  accept?: string;
  /** null: no Authorization header; default: the server's token. */
  token?: string | null;
  /** More headers (Impersonate-User, …). */
  headers?: Record<string, string>;
}

/** A plain HTTP request (fetch), for what typed clients cannot send: malformed bodies, wrong headers. */
export async function raw(server: ApiServer, path: string, request: RawRequest = {}): Promise<RawResponse> {
  const headers: Record<string, string> = { ...request.headers };
  const token = request.token === undefined ? server.token : request.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  if (request.contentType !== undefined) headers['Content-Type'] = request.contentType;
  if (request.accept !== undefined) headers.Accept = request.accept;
  const response = await fetch(`${server.url}${path}`, { method: request.method ?? 'GET', headers, body: request.body });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** The Kubernetes Status carried by a client-node ApiException (its body is the response text). */
export function statusOf(error: unknown): {
  code: number;
  reason?: string;
  message?: string;
  details?: { causes?: Array<{ reason: string; message: string; field: string }>; name?: string; kind?: string };
} {
  if (!(error instanceof ApiException)) throw new Error('expected an ApiException', { cause: error });
  const body: unknown = typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
  return { code: error.code, ...(body as object) };
}

/** Runs `action`, expecting it to fail with an ApiException; returns the Status. */
export async function failure(action: () => Promise<unknown>): Promise<ReturnType<typeof statusOf>> {
  try {
    await action();
  } catch (error: unknown) {
    return statusOf(error);
  }
  throw new Error('expected the request to fail');
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

export const DR = { group: 'dr.bkbcs.tencent.com', version: 'v1alpha1' } as const;

/** A minimal valid DRPlan. */
export function drPlan(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: `${DR.group}/${DR.version}`,
    kind: 'DRPlan',
    metadata: { name, namespace: 'default' },
    spec: { stages: [{ name: 'one', workflows: [{ workflowRef: { name: 'wf' } }] }] },
    ...extra,
  };
}
