/**
 * Benchmark of the local API server: writes/s and latency (p50/p99) for create, status patch and get
 * of DRPlans with 1 and 8 concurrent clients, and the delay from a write to its watch event with 10
 * watchers. The server runs in a child process (its own event loop, as in real use); the clients are
 * plain `fetch` (undici, keep-alive) over HTTP on the same port.
 *
 *   npx tsx bench/apiserver.ts [--ops N] [--json results.json]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

interface Server {
  url: string;
  token: string;
  process: ChildProcess;
}

interface Row {
  scenario: string;
  clients: number;
  ops: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

const PLANS = '/apis/dr.bkbcs.tencent.com/v1alpha1/namespaces/default/drplans';

async function startServer(stateDir: string): Promise<Server> {
  const entry = fileURLToPath(new URL('../local/apiserver/index.ts', import.meta.url));
  const script = `import { startApiServer } from ${JSON.stringify(entry)};
const s = await startApiServer({ stateDir: ${JSON.stringify(stateDir)}, jobController: false });
console.log(JSON.stringify({ url: s.url, token: s.token }));
process.on('SIGTERM', () => { void s.stop().then(() => process.exit(0)); });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => {
      reject(new Error(`the server exited with ${String(code)}`));
    });
  });
  return { ...(JSON.parse(line) as { url: string; token: string }), process: child };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const plan = (name: string): string =>
  JSON.stringify({
    apiVersion: 'dr.bkbcs.tencent.com/v1alpha1',
    kind: 'DRPlan',
    metadata: { name },
    spec: { stages: [{ name: 'one', workflows: [{ workflowRef: { name: 'wf' } }] }] },
  });

async function call(server: Server, method: string, path: string, body?: { text: string; type: string }): Promise<void> {
  const headers: Record<string, string> = { Authorization: `Bearer ${server.token}` };
  if (body !== undefined) headers['Content-Type'] = body.type;
  const response = await fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: body.text }) });
  await response.arrayBuffer();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status}`);
}

/** Runs `ops` operations split over `clients` concurrent loops; returns throughput and latency. */
async function measure(scenario: string, clients: number, ops: number, op: (i: number) => Promise<void>): Promise<Row> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < ops; i = next++) {
      const start = performance.now();
      await op(i);
      latencies.push(performance.now() - start);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { scenario, clients, ops, perSecond: Math.round(ops / seconds), p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

async function crud(server: Server, clients: number, ops: number, tag = ''): Promise<Row[]> {
  const prefix = `${tag}c${clients}-`;
  const create = await measure('create', clients, ops, (i) => call(server, 'POST', PLANS, { text: plan(`${prefix}${i}`), type: 'application/json' }));
  const status = await measure('status patch', clients, ops, (i) =>
    call(server, 'PATCH', `${PLANS}/${prefix}${i}/status`, { text: JSON.stringify({ status: { phase: 'Ready' } }), type: 'application/merge-patch+json' }),
  );
  const get = await measure('get', clients, ops, (i) => call(server, 'GET', `${PLANS}/${prefix}${i}`));
  return [create, status, get];
}

/** Opens a watch and calls `onEvent(name, arrivalTime)` for each event. */
async function openWatch(server: Server, fromVersion: string, onEvent: (name: string, at: number) => void): Promise<AbortController> {
  const controller = new AbortController();
  const response = await fetch(`${server.url}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${fromVersion}`, {
    headers: { Authorization: `Bearer ${server.token}` },
    signal: controller.signal,
  });
  if (response.body === null) throw new Error('the watch has no body');
  const stream = Readable.fromWeb(response.body);
  stream.on('error', () => undefined); // aborted at the end of the run
  const lines = createInterface({ input: stream });
  lines.on('error', () => undefined);
  lines.on('line', (line) => {
    const event = JSON.parse(line) as { object: { metadata: { name: string } } };
    onEvent(event.object.metadata.name, performance.now());
  });
  return controller;
}

async function watchDelay(server: Server, writes: number, watchers = 10): Promise<Row> {
  const list = await fetch(`${server.url}/api/v1/namespaces/default/configmaps`, { headers: { Authorization: `Bearer ${server.token}` } });
  const version = ((await list.json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const sentAt = new Map<string, number>();
  const delays: number[] = [];
  const controllers = await Promise.all(
    Array.from({ length: watchers }, () =>
      openWatch(server, version, (name, at) => {
        const sent = sentAt.get(name);
        if (sent !== undefined) delays.push(at - sent);
      }),
    ),
  );
  const started = performance.now();
  for (let i = 0; i < writes; i += 1) {
    const name = `watched-${i}`;
    sentAt.set(name, performance.now());
    await call(server, 'POST', '/api/v1/namespaces/default/configmaps', { text: JSON.stringify({ metadata: { name } }), type: 'application/json' });
  }
  const seconds = (performance.now() - started) / 1000;
  while (delays.length < writes * watchers && performance.now() - started < 30_000) await new Promise((resolve) => setTimeout(resolve, 10));
  for (const controller of controllers) controller.abort();
  delays.sort((a, b) => a - b);
  return {
    scenario: `write → watch event (${watchers} watchers)`,
    clients: 1,
    ops: writes,
    perSecond: Math.round(writes / seconds),
    p50Ms: percentile(delays, 50),
    p99Ms: percentile(delays, 99),
  };
}

function printTable(rows: readonly Row[]): void {
  const header = ['scenario', 'clients', 'ops', 'ops/s', 'p50 ms', 'p99 ms'];
  const lines = rows.map((r) => [r.scenario, String(r.clients), String(r.ops), String(r.perSecond), r.p50Ms.toFixed(2), r.p99Ms.toFixed(2)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const format = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log(format(header));
  for (const line of lines) console.log(format(line));
}

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function main(): Promise<void> {
  const ops = Number(option('--ops') ?? '2000');
  const stateDir = mkdtempSync(join(tmpdir(), 'drplan-bench-'));
  const server = await startServer(stateDir);
  try {
    await crud(server, 1, Math.min(200, ops), 'warm-up-');
    const rows = [...(await crud(server, 1, ops)), ...(await crud(server, 8, ops)), await watchDelay(server, Math.min(500, ops))];
    printTable(rows);
    const jsonPath = option('--json');
    if (jsonPath !== undefined) writeFileSync(jsonPath, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 2)}\n`);
  } finally {
    server.process.kill('SIGTERM');
    await new Promise((resolve) => server.process.once('exit', resolve));
    rmSync(stateDir, { recursive: true, force: true });
  }
}

await main();
