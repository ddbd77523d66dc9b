/**
 * Scenario 6: each function bundle started as the function host starts it (faas-js-runtime on the
 * bundle, its own port): the time from spawn to `/health/readiness` answering 200, its RSS then, and
 * the bundle's size. Also the RSS of the stack's own replicas at the end of the run, after every
 * event the other scenarios sent them.
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from '../../local/host/index.js';
import { atMost, mib, ms, type Row, type ScenarioResult } from '../report.js';
import type { BenchStack } from '../stack.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUNTIME_CLI = join(ROOT, 'node_modules/faas-js-runtime/bin/cli.js');
const READY_TIMEOUT_MS = 30_000;

/** Resident set size of a process, in bytes (Linux `/proc`); NaN elsewhere. */
export function rssOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? Number.NaN : Number(match[1]) * 1024;
  } catch {
    return Number.NaN;
  }
}

async function untilReady(url: string, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(500) }).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ok) return true;
    await delay(5);
  }
  return false;
}

interface ColdStart {
  name: string;
  readyMs: number;
  rssBytes: number;
  bundleBytes: number;
}

/** The baseline: a function that does nothing, served by the same runtime. */
const EMPTY_FUNCTION = join(ROOT, 'bench', 'fixtures', 'empty-function', 'index.mjs');

async function coldStart(name: string, env: Record<string, string>, entry = join(ROOT, 'dist', name, 'index.js')): Promise<ColdStart> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [RUNTIME_CLI, entry], { cwd: dirname(entry), env: { ...env, FUNC_PORT: String(port) }, stdio: 'ignore' });
  try {
    const ready = await untilReady(`http://127.0.0.1:${port}/health/readiness`, Date.now() + READY_TIMEOUT_MS);
    const readyMs = ready ? performance.now() - started : Number.NaN;
    return { name, readyMs, rssBytes: rssOf(child.pid), bundleBytes: statSync(entry).size };
  } finally {
    child.kill('SIGKILL');
  }
}

export async function coldStartScenario(bench: BenchStack): Promise<ScenarioResult> {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', KUBECONFIG: bench.stack.kubeconfigPath, LOG_LEVEL: 'warn' };
  const empty = await coldStart('empty function', env, EMPTY_FUNCTION);
  const rows: Row[] = [
    { scenario: '6 cold start (baseline)', measure: 'empty function: spawn → readiness', value: ms(empty.readyMs) },
    { scenario: '6 cold start (baseline)', measure: 'empty function: RSS when ready', value: mib(empty.rssBytes) },
  ];
  const runs: Record<string, unknown>[] = [{ ...empty }];
  for (const fn of bench.stack.functions) {
    const result = await coldStart(fn.name, env);
    const afterRun = bench.stack.host.replicas(fn.namespace, fn.name).map((replica) => rssOf(replica.pid));
    const name = `6 cold start ${fn.name}`;
    rows.push(
      { scenario: name, measure: 'spawn → readiness', value: ms(result.readyMs) },
      atMost(name, "spawn → readiness / the empty function's", result.readyMs / empty.readyMs, { limit: 1.15, show: (v) => v.toFixed(2) }),
      atMost(name, 'RSS when ready', result.rssBytes, { limit: 80 * 1024 * 1024, show: mib }),
      atMost(name, 'RSS of the stack replica at the end of the run', Math.max(...afterRun), { limit: 80 * 1024 * 1024, show: mib }),
      atMost(name, 'bundle size', result.bundleBytes, { limit: 2 * 1024 * 1024, show: mib }),
    );
    runs.push({ ...result, rssAfterRunBytes: afterRun });
  }
  return { scenario: '6 cold start', rows, details: { runs } };
}
