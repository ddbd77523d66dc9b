/**
 * What the benchmark runs against: the demo target, the counting API proxy, and the local stack
 * (`startDevStack`: API server, the six function bundles, the eventing playing `knative/`) whose
 * functions reach the API server through the proxy. A Kube client for the benchmark itself talks to
 * the API server directly, so its own reads are not counted.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { createKube } from '../shared/kube/client.js';
import type { Kube } from '../shared/kube/types.js';
import { startDemoTarget, type DemoTarget } from '../local/demo-target/index.js';
import { startDevStack, type DevStack } from '../local/dev.js';
import { startApiProxy, writeProxyKubeconfig, type ApiProxy } from './api-proxy.js';

/** The path every action of the benchmark calls; the target answers it after the configured delay. */
export const SLOW_PATH = '/primary/health';
/** A path answered at once (for the scale scenarios, where the work is not the point). */
export const FAST_PATH = '/secondary/health';

export interface BenchStack {
  stack: DevStack;
  target: DemoTarget;
  proxy: ApiProxy;
  kube: Kube;
  kubeConfig: KubeConfig;
  stateDir: string;
  /** How many records the event log holds now. */
  eventRecords(): EventCounts;
  stop(): Promise<void>;
}

export interface EventCounts {
  /** Events the broker accepted (replies included). */
  accepted: number;
  /** Deliveries to a Trigger's subscriber. */
  deliveries: number;
  /** Accepted events by CloudEvent type. */
  byType: Record<string, number>;
  /** Bytes of the accepted events (as the event log holds them, data included). */
  acceptedBytes: number;
  /** Bytes the deliveries carried: each delivered event's size, once per delivery. */
  deliveredBytes: number;
}

interface LogLine {
  record?: string;
  seq?: number;
  eventSeq?: number;
  event?: { type?: unknown };
}

function countLine(counts: EventCounts, sizes: Map<number, number>, record: LogLine): void {
  if (record.record === 'delivery') {
    counts.deliveries += 1;
    counts.deliveredBytes += sizes.get(record.eventSeq ?? -1) ?? 0;
    return;
  }
  if (record.record !== 'accepted') return;
  const size = Buffer.byteLength(JSON.stringify(record.event ?? {}));
  sizes.set(record.seq ?? -1, size);
  counts.acceptedBytes += size;
  counts.accepted += 1;
  const type = typeof record.event?.type === 'string' ? record.event.type : '?';
  counts.byType[type] = (counts.byType[type] ?? 0) + 1;
}

export function countEvents(logPath: string): EventCounts {
  const counts: EventCounts = { accepted: 0, deliveries: 0, byType: {}, acceptedBytes: 0, deliveredBytes: 0 };
  const sizes = new Map<number, number>();
  let text = '';
  try {
    text = readFileSync(logPath, 'utf8');
  } catch {
    return counts;
  }
  for (const line of text.split('\n')) {
    if (line.trim() !== '') countLine(counts, sizes, JSON.parse(line) as LogLine);
  }
  return counts;
}

export interface BenchStackOptions {
  delayMs: number;
  /** Point the functions at the counting proxy (default); false: straight at the API server. */
  countApi: boolean;
  log: (line: string) => void;
}

export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  const stateDir = mkdtempSync(join(tmpdir(), 'drplan-bench-'));
  const target = await startDemoTarget({ behaviours: [{ method: 'GET', path: SLOW_PATH, delayMs: options.delayMs }] });
  const proxy = await startApiProxy(join(stateDir, 'kubeconfig'));
  const proxyKubeconfig = join(stateDir, 'functions.kubeconfig');
  writeProxyKubeconfig(proxyKubeconfig, proxy.url);
  try {
    // BENCH_FUNCTION_NODE_OPTIONS reaches the functions' processes: `--cpu-prof --cpu-prof-dir=…` profiles them.
    const nodeOptions = process.env.BENCH_FUNCTION_NODE_OPTIONS;
    const profiling: Record<string, string> =
      nodeOptions === undefined ? {} : { NODE_OPTIONS: nodeOptions, BENCH_PROFILE_DIR: process.env.BENCH_PROFILE_DIR ?? stateDir };
    const extraEnv = { ...(options.countApi ? { KUBECONFIG: proxyKubeconfig } : {}), LOG_LEVEL: 'warn', ...profiling };
    const stack = await startDevStack({ stateDir, extraEnv, log: options.log });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(stack.kubeconfigPath);
    const stop = async (): Promise<void> => {
      await stack.stop();
      await proxy.close();
      await target.stop();
      rmSync(stateDir, { recursive: true, force: true });
    };
    return { stack, target, proxy, kube: createKube(kubeConfig), kubeConfig, stateDir, eventRecords: () => countEvents(stack.eventLogPath), stop };
  } catch (error: unknown) {
    await proxy.close();
    await target.stop();
    rmSync(stateDir, { recursive: true, force: true });
    throw new Error('the local stack did not start', { cause: error });
  }
}
