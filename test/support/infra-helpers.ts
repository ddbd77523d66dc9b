/**
 * Helpers for the function-infrastructure tests (Kube client, wiring, bundles): a local API server on a
 * free port over a temporary state folder, a logger that keeps its lines, and small DR objects.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { CloudEvent, HTTP } from 'cloudevents';
import { startApiServer, type ApiServer } from '../../local/apiserver/index.js';
import type { Logger } from '../../shared/function-deps.js';
import type { KubeObject } from '../../shared/kube/types.js';

export interface LocalApiServer {
  server: ApiServer;
  kubeConfig: KubeConfig;
  dispose(): Promise<void>;
}

/** The project's CRDs (knative/crds) and Clusternet's are registered; no simulated Job controller. */
export async function startLocalApiServer(): Promise<LocalApiServer> {
  const stateDir = mkdtempSync(join(tmpdir(), 'drplan-infra-'));
  const server = await startApiServer({ stateDir, jobController: false });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(server.kubeconfigPath);
  return {
    server,
    kubeConfig,
    dispose: async () => {
      await server.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  bindings: Record<string, unknown>;
  object: Record<string, unknown>;
  message: string;
}

/** A Logger that records every line with the bindings of the child it was written through. */
export function collectingLogger(lines: LogLine[] = [], bindings: Record<string, unknown> = {}): Logger & { lines: LogLine[] } {
  const write =
    (level: LogLine['level']) =>
    (object: Record<string, unknown>, message: string): void => {
      lines.push({ level, bindings, object, message });
    };
  return {
    lines,
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => collectingLogger(lines, { ...bindings, ...more }),
  };
}

export const DR_API_VERSION = 'dr.bkbcs.tencent.com/v1alpha1';

/** A minimal valid DRWorkflow with one HTTP action. */
export function drWorkflow(name: string, namespace = 'default'): KubeObject {
  return {
    apiVersion: DR_API_VERSION,
    kind: 'DRWorkflow',
    metadata: { name, namespace },
    spec: { actions: [{ name: 'ping', type: 'HTTP', http: { url: 'http://127.0.0.1:1/health' } }] },
  };
}

export function configMap(name: string, data: Record<string, string>, namespace = 'default'): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
}

/** Runs `action`, which must throw; returns what it threw. */
export async function rejection(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error: unknown) {
    return error;
  }
  throw new Error('expected the call to fail');
}

/** A CloudEvent fixture from test/fixtures/events/ (structured JSON). */
export function eventFixture(name: string): Record<string, unknown> & { data?: unknown } {
  const path = fileURLToPath(new URL(`../fixtures/events/${name}`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/**
 * The event as faas-js-runtime hands it to `handle`: encoded in binary mode as the broker sends it,
 * then decoded by the same `cloudevents` functions the runtime uses.
 */
export function asDelivered(fixture: Record<string, unknown>): CloudEvent<unknown> {
  const message = HTTP.binary(new CloudEvent(fixture));
  return HTTP.toEvent(message) as CloudEvent<unknown>;
}
