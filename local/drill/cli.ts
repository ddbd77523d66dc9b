/**
 * The command line of the drill (`npm start -- [options]`): parses the options, runs the drill with
 * progress on stdout and the stack's messages on stderr, prints the summary, and maps the outcome to
 * the exit status (0 OK, 1 the drill failed, 2 usage).
 */
import { resolve } from 'node:path';
import { DEFAULT_EXAMPLE, DRILL_BEHAVIOURS, DrillInterrupted, runDrill, type DrillOptions } from '../drill.js';

export const USAGE = `Usage: npm start [-- options]      (or: node scripts/start.mjs [options])

Runs a disaster-recovery drill end to end on the local stack: builds the function bundles when they
are missing or stale, starts the local API server, the six functions and the Knative eventing (from
knative/), starts the demo target, applies the example, executes it with its progress shown live,
reverts it, prints a summary and stops everything.

  --example DIR        the example folder (default examples/failover)
  --state-dir DIR      keep the stack's state in DIR (default: a temporary folder, removed at the end)
  --tick-seconds N     the resync tick every N seconds (default 2)
  --timeout SECONDS    the longest each step may take (default 90)
  --target-port N      the demo target's port (default 0: a free one)
  --manifests DIR      the Knative manifests the local eventing plays (default knative/)
  --verbose            also print every event delivery and the functions' own output
  --help               this text

Exit status: 0 the drill passed, 1 it failed (the summary says why), 2 usage error.`;

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  cwd: string;
}

const VALUE_FLAGS = new Set(['--example', '--state-dir', '--tick-seconds', '--timeout', '--target-port', '--manifests']);

interface Options {
  values: Map<string, string>;
  verbose: boolean;
  help: boolean;
}
type Parsed = Options | string;

const SWITCHES: Readonly<Record<string, (options: Options) => void>> = {
  '--verbose': (options) => {
    options.verbose = true;
  },
  '--help': (options) => {
    options.help = true;
  },
  '-h': (options) => {
    options.help = true;
  },
};

function parseArgs(args: readonly string[]): Parsed {
  const options: Options = { values: new Map(), verbose: false, help: false };
  for (let i = 0; i < args.length; i += 1) {
    const [flag = '', inline] = (args[i] ?? '').split(/=(.*)/s, 2);
    const toggle = SWITCHES[flag];
    if (toggle !== undefined) toggle(options);
    else if (!VALUE_FLAGS.has(flag)) return `unknown option "${args[i] ?? ''}"`;
    else {
      const value = inline ?? args[(i += 1)];
      if (value === undefined || value === '') return `${flag} needs a value`;
      options.values.set(flag, value);
    }
  }
  return options;
}

function numberOf(text: string | undefined, fallback: number, check: { flag: string; min: number; integer: boolean }): number | string {
  if (text === undefined) return fallback;
  const value = Number(text);
  const ok = Number.isFinite(value) && value >= check.min && (!check.integer || Number.isInteger(value));
  return ok ? value : `${check.flag} must be a${check.integer ? 'n integer' : ' number'} ≥ ${check.min}, not "${text}"`;
}

function numbers(values: Map<string, string>): { tickSeconds: number; timeoutSeconds: number; targetPort: number } | string {
  const tickSeconds = numberOf(values.get('--tick-seconds'), 2, { flag: '--tick-seconds', min: 0.1, integer: false });
  const timeoutSeconds = numberOf(values.get('--timeout'), 90, { flag: '--timeout', min: 1, integer: false });
  const targetPort = numberOf(values.get('--target-port'), 0, { flag: '--target-port', min: 0, integer: true });
  for (const value of [tickSeconds, timeoutSeconds, targetPort]) if (typeof value === 'string') return value;
  if (typeof targetPort === 'number' && targetPort > 65535) return `--target-port must be a port number, not "${targetPort}"`;
  return { tickSeconds: Number(tickSeconds), timeoutSeconds: Number(timeoutSeconds), targetPort: Number(targetPort) };
}

function toOptions(parsed: Options, io: CliIo, signal: AbortSignal | undefined): DrillOptions | string {
  const checked = numbers(parsed.values);
  if (typeof checked === 'string') return checked;
  const path = (flag: string): string | undefined => {
    const value = parsed.values.get(flag);
    return value === undefined ? undefined : resolve(io.cwd, value);
  };
  const err = (line: string): void => void io.stderr.write(`${line}\n`);
  return {
    exampleDir: path('--example') ?? DEFAULT_EXAMPLE,
    stateDir: path('--state-dir'),
    manifestsDir: path('--manifests'),
    tickSeconds: checked.tickSeconds,
    timeoutMs: checked.timeoutSeconds * 1000,
    targetPort: checked.targetPort,
    behaviours: DRILL_BEHAVIOURS,
    out: (line) => void io.stdout.write(`${line}\n`),
    log: (line) => {
      err(`stack: ${line}`);
    },
    trace: parsed.verbose ? err : undefined,
    signal,
  };
}

/** Runs the drill command; resolves to the exit status. */
export async function main(args: readonly string[], io: CliIo, signal?: AbortSignal): Promise<number> {
  const parsed = parseArgs(args);
  if (typeof parsed !== 'string' && parsed.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const options = typeof parsed === 'string' ? parsed : toOptions(parsed, io, signal);
  if (typeof options === 'string') {
    io.stderr.write(`drill: ${options}\n${USAGE}\n`);
    return 2;
  }
  try {
    const outcome = await runDrill(options);
    io.stdout.write(outcome.summary);
    return outcome.problems.length === 0 ? 0 : 1;
  } catch (error: unknown) {
    const reason = error instanceof DrillInterrupted ? 'interrupted; the stack was stopped' : error instanceof Error ? error.message : String(error);
    io.stderr.write(`drill: FAILED: ${reason}\n`);
    return 1;
  }
}
