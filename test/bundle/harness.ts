/**
 * The bundle-test harness: builds dist/ once, starts built functions as real faas-js-runtime processes
 * on free ports against a local API server, and POSTs CloudEvents to them as the broker would (binary
 * mode: attributes in ce-* headers, data as the JSON body).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CloudEvent, HTTP } from 'cloudevents';
import type { KubeObject } from '../../shared/kube/types.js';
import { freePort } from '../../local/host/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const runtimeCli = fileURLToPath(new URL('../../node_modules/faas-js-runtime/bin/cli.js', import.meta.url));

/** Runs `node build.mjs` once; throws with its output when it fails. */
export function buildBundles(): void {
  const result = spawnSync(process.execPath, ['build.mjs'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm run build failed:\n${result.stdout}\n${result.stderr}`);
}

export { freePort };

export interface RunningFunction {
  name: string;
  url: string;
  /** What the process wrote so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the function exited with ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(`${url}/health/readiness`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the function did not become ready in ${timeoutMs} ms:\n${output()}`);
}

/** Starts dist/<name>/index.js under faas-js-runtime with `env` added to a clean environment. */
export async function startFunction(name: string, env: Record<string, string>): Promise<RunningFunction> {
  const port = await freePort();
  const child = spawn(process.execPath, [runtimeCli, `dist/${name}/index.js`], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', FUNC_PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const keep = (chunk: Buffer): void => {
    text = (text + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitUntilReady(url, child, () => text, 20_000);
  } catch (error: unknown) {
    await stop();
    throw error;
  }
  return { name, url, output: () => text, stop };
}

export interface EventSpec {
  type: string;
  source?: string;
  subject?: string;
  data?: unknown;
  extensions?: Record<string, string>;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON when it is JSON. */
  json: unknown;
}

/** POSTs one CloudEvent in binary mode, as the broker delivers it. */
export async function postEvent(url: string, spec: EventSpec): Promise<Answer> {
  const event = new CloudEvent({
    source: '/bundle-test',
    ...spec.extensions,
    type: spec.type,
    subject: spec.subject,
    datacontenttype: 'application/json',
    data: spec.data,
  });
  const message = HTTP.binary(event);
  return post(url, message.headers as Record<string, string>, typeof message.body === 'string' ? message.body : JSON.stringify(message.body));
}

export async function post(url: string, headers: Record<string, string>, body: string): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', headers, body });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** What ApiServerSource (mode: Resource) sends about `object`. */
export function apiServerEvent(action: 'add' | 'update' | 'delete', object: KubeObject, apiServer: string): EventSpec {
  const { name = '', namespace = '' } = object.metadata;
  const plural = `${object.kind.toLowerCase()}s`;
  return {
    type: `dev.knative.apiserver.resource.${action}`,
    source: apiServer,
    subject: `/apis/${object.apiVersion}/namespaces/${namespace}/${plural}/${name}`,
    extensions: { kind: object.kind, name, namespace },
    data: object,
  };
}

/** The PingSource resync tick. */
export const tickEvent: EventSpec = {
  type: 'dev.knative.sources.ping',
  source: '/apis/v1/namespaces/drplan-system/pingsources/drplan-resync',
  data: { reason: 'resync' },
};
