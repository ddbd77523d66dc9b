/**
 * Helpers for the local eventing tests: temporary folders, scripted HTTP subscribers that record what
 * they receive, manifest builders in the upstream Knative shapes, and a broker started from them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readHttpEvent, type CloudEvent } from '../../local/eventing/cloudevent.js';
import { openEventing, parseKnativeManifests, type KnativeManifests } from '../../local/eventing/index.js';
import type { Eventing, StartOptions } from '../../local/eventing/index.js';
import { KNATIVE_CRDS } from '../support/fixtures.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURE_MANIFESTS = join(ROOT, 'test/fixtures/knative');
export const FIXTURE_FUNCTIONS = join(ROOT, 'test/fixtures/functions');
export const UPSTREAM_CRDS = KNATIVE_CRDS;
export const NAMESPACE = 'eventing-test';

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `drplan-${prefix}-`));
  return {
    path,
    remove: () => {
      rmSync(path, { recursive: true, force: true });
    },
  };
}

export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface Received {
  at: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  event: CloudEvent;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface Subscriber {
  url: string;
  received: Received[];
  close: () => Promise<void>;
}

/** An HTTP subscriber answering the n-th request (from 0) as `script` says; it records every request. */
export async function startSubscriber(script: (n: number, event: CloudEvent) => Answer | Promise<Answer> = () => ({ status: 202 })): Promise<Subscriber> {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const event = readHttpEvent(request.headers, body);
      const n = received.length;
      received.push({ at: Date.now(), headers: request.headers, body, event });
      void Promise.resolve(script(n, event)).then((answer) => {
        if (!response.destroyed) response.writeHead(answer.status, answer.headers).end(answer.body ?? '');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

export type Json = Record<string, unknown>;

export function broker(name: string, delivery?: Json): Json {
  return { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name, namespace: NAMESPACE }, spec: delivery === undefined ? {} : { delivery } };
}

export function trigger(name: string, spec: Json): Json {
  return { apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: { name, namespace: NAMESPACE }, spec: { broker: 'events', ...spec } };
}

export function manifestsOf(objects: readonly Json[]): KnativeManifests {
  return parseKnativeManifests(objects.map((value) => ({ file: 'test.yaml', value })));
}

/** A broker (`eventing-test/events`) and triggers playing `objects`, with its event log in a temp folder. */
export interface BrokerUnderTest {
  eventing: Eventing;
  url: string;
  warnings: string[];
  dispose: () => Promise<void>;
}

export async function startBroker(objects: readonly Json[], start: StartOptions = {}, stateDir?: string): Promise<BrokerUnderTest> {
  const dir = stateDir === undefined ? tempDir('broker') : undefined;
  const warnings: string[] = [];
  const eventing = await openEventing({ manifests: manifestsOf(objects), stateDir: stateDir ?? dir?.path ?? '', warn: (line) => warnings.push(line) });
  await eventing.start(start);
  return {
    eventing,
    url: eventing.brokerUrl(NAMESPACE, 'events'),
    warnings,
    dispose: async () => {
      await eventing.stop();
      dir?.remove();
    },
  };
}

let sequence = 0;

/** POSTs a CloudEvent in binary mode; returns the status and body. */
export async function send(url: string, attributes: Record<string, string>, data: unknown = { n: 1 }): Promise<{ status: number; text: string }> {
  sequence += 1;
  const headers: Record<string, string> = { 'ce-specversion': '1.0', 'ce-id': `event-${sequence}`, 'ce-source': '/tests', 'content-type': 'application/json' };
  for (const [name, value] of Object.entries(attributes)) headers[`ce-${name}`] = value;
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(data) });
  return { status: response.status, text: await response.text() };
}
