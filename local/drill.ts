/**
 * The drill `npm start` runs: the local stack (the function bundles built when missing or stale) and
 * the demo target are started, the failover example is applied as `kubectl apply` would, executed with
 * its progress shown live, reverted, and summarised; the stack is always stopped. Exit 0 only when the
 * execute and the revert Succeeded, every request reached the target once, and the revert undid what
 * the execute changed. See docs/drill.md.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BehaviourInput } from './demo-target/index.js';
import { startEnvironment, type Environment, type EnvironmentOptions } from './drill/environment.js';
import { runDrillIn, type DrillReport } from './drill/run.js';
import { drillProblems, summaryText } from './drill/summary.js';

export { startEnvironment, type Environment } from './drill/environment.js';
export { runDrillIn, createdObjects, type DrillReport, type ExecutionReport } from './drill/run.js';
export { drillProblems, repeatedKeys } from './drill/summary.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const DEFAULT_EXAMPLE = resolve(ROOT, 'examples/failover');

/**
 * The demo target's behaviour in the drill: slow health checks and first steps of the two independent
 * stages (so their overlap in time shows in the recorded requests), and a secondary that answers 503
 * once before it serves (so a retry with backoff shows).
 */
export const DRILL_BEHAVIOURS: readonly BehaviourInput[] = [
  { method: 'GET', path: '/primary/health', delayMs: 600 },
  { method: 'GET', path: '/secondary/health', delayMs: 600 },
  { method: 'POST', path: '/primary/maintenance', delayMs: 600 },
  { method: 'POST', path: '/db/fence', delayMs: 600 },
  // the failback undoes drain-primary and promote-database at the same time: the two overlap at the target
  { method: 'POST', path: '/db/unfence', delayMs: 1500 },
  { method: 'GET', path: '/secondary/serving', failTimes: 1, status: 503 },
];

export interface DrillOptions extends EnvironmentOptions {
  exampleDir: string;
  timeoutMs: number;
  /** Progress and summary. */
  out: (line: string) => void;
  /** Stops the drill (and the stack) early, e.g. on Ctrl-C. */
  signal?: AbortSignal | undefined;
}

export interface DrillOutcome {
  report: DrillReport;
  problems: string[];
  summary: string;
}

export class DrillInterrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'DrillInterrupted';
  }
}

/** Rejects when `signal` aborts (a rejection after the race is over is ignored). */
function abortion(signal: AbortSignal | undefined): Promise<never> {
  const aborted = new Promise<never>((_resolve, reject) => {
    const stop = (): void => {
      reject(new DrillInterrupted());
    };
    if (signal?.aborted === true) stop();
    signal?.addEventListener('abort', stop, { once: true });
  });
  aborted.catch(() => undefined);
  return aborted;
}

/** Starts everything, runs the drill, stops everything (also on failure); throws when a step fails. */
export async function runDrill(options: DrillOptions): Promise<DrillOutcome> {
  const started = Date.now();
  options.out(`Starting the local stack (API server, functions, eventing; resync tick ${options.tickSeconds}s) and the demo target`);
  const env: Environment = await startEnvironment(options);
  try {
    if (options.signal?.aborted === true) throw new DrillInterrupted();
    options.out(
      `Ready in ${((Date.now() - started) / 1000).toFixed(1)}s: API server ${env.stack.apiServer.secureUrl}, demo target ${env.target.url}, state ${env.stateDir}${env.temporary ? ' (temporary)' : ''}`,
    );
    const report = await Promise.race([runDrillIn(env, options), abortion(options.signal)]);
    const problems = drillProblems(report, true);
    const summary = summaryText(report, { startMs: env.startMs, totalMs: Date.now() - started }, problems);
    return { report, problems, summary };
  } finally {
    await env.stop();
  }
}
