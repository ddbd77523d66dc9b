/**
 * `drplan dev`: the whole local stack in the foreground (API server, function bundles under the
 * function host, the embedded Knative eventing playing `knative/`) until SIGINT or SIGTERM.
 */
import { resolve } from 'node:path';
import { startDevStack, type DevStack, type DevStackOptions } from '../../local/dev.js';
import { ExitCode, type Command, type Io, interrupted } from '../io.js';

const USAGE = `Usage: drplan dev [--state-dir DIR] [--tick-seconds N] [--port N] [--broker-port N]
                  [--manifests DIR] [--bundles DIR] [--replicas NAME=N]... [--verbose]
                  [--no-job-controller]

Runs the local API server, the six functions (built into dist/ when missing or stale) and the
embedded Knative eventing that plays the Broker, Triggers and sources of knative/, until Ctrl-C.
State (objects, kubeconfig, event log) survives restarts in the state folder.

  --state-dir DIR      state folder (default .drplan); the kubeconfig is <DIR>/kubeconfig
  --tick-seconds N     fire the PingSource resync tick every N seconds instead of its cron
                       schedule (default: $DRPLAN_TICK_SECONDS, else the Services'
                       RECONCILE_INTERVAL, else the schedule)
  --port N             API server port (default 6443; 0 picks a free one)
  --broker-port N      broker ingress port (default 0: a free one)
  --manifests DIR      Knative manifests to play (default knative/)
  --bundles DIR        where <function>/index.js bundles are (default dist/, built when
                       missing or older than the sources; a folder given here is used as is)
  --replicas NAME=N    run N replicas of function NAME (default: its min-scale, at least 1)
  --verbose            print every event delivery and all of the functions' output (without
                       it: their warnings and errors only)
  --no-job-controller  do not run the simulated Job controller`;

const VALUE_FLAGS = new Set(['--state-dir', '--tick-seconds', '--port', '--broker-port', '--manifests', '--bundles', '--replicas']);
const SWITCHES = new Set(['--verbose', '--no-job-controller']);

interface Parsed {
  values: Map<string, string[]>;
  switches: Set<string>;
}

function parseArgs(args: readonly string[]): Parsed | string {
  const parsed: Parsed = { values: new Map(), switches: new Set() };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    const [flag = '', inline] = arg.split(/=(.*)/s, 2);
    if (SWITCHES.has(arg)) parsed.switches.add(arg);
    else if (!VALUE_FLAGS.has(flag)) return `unknown option "${arg}"`;
    else {
      const value = inline ?? args[(i += 1)];
      if (value === undefined || value === '') return `${flag} needs a value`;
      parsed.values.set(flag, [...(parsed.values.get(flag) ?? []), value]);
    }
  }
  return parsed;
}

const last = (parsed: Parsed, flag: string): string | undefined => parsed.values.get(flag)?.at(-1);

function portOf(text: string | undefined, fallback: number, flag: string): number | string {
  const port = Number(text ?? fallback);
  return Number.isInteger(port) && port >= 0 && port <= 65535 ? port : `${flag} must be a port number, not "${text ?? ''}"`;
}

function tickOf(text: string | undefined): number | undefined | string {
  if (text === undefined || text === '') return undefined;
  const seconds = Number(text);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : `--tick-seconds (or DRPLAN_TICK_SECONDS) must be a positive number, not "${text}"`;
}

function replicasOf(parsed: Parsed): Record<string, number> | string {
  const replicas: Record<string, number> = {};
  for (const item of parsed.values.get('--replicas') ?? []) {
    const match = /^([a-z0-9-]+)=(\d+)$/.exec(item);
    const count = Number(match?.[2]);
    if (match?.[1] === undefined || count < 1) return `--replicas expects NAME=N with N ≥ 1, not "${item}"`;
    replicas[match[1]] = count;
  }
  return replicas;
}

function toOptions(parsed: Parsed, io: Io): DevStackOptions | string {
  const apiServerPort = portOf(last(parsed, '--port'), 6443, '--port');
  if (typeof apiServerPort === 'string') return apiServerPort;
  const brokerPort = portOf(last(parsed, '--broker-port'), 0, '--broker-port');
  if (typeof brokerPort === 'string') return brokerPort;
  const tickSeconds = tickOf(last(parsed, '--tick-seconds') ?? process.env.DRPLAN_TICK_SECONDS);
  if (typeof tickSeconds === 'string') return tickSeconds;
  const replicas = replicasOf(parsed);
  if (typeof replicas === 'string') return replicas;
  const manifests = last(parsed, '--manifests');
  const bundles = last(parsed, '--bundles');
  return {
    stateDir: resolve(io.cwd, last(parsed, '--state-dir') ?? '.drplan'),
    manifestsDir: manifests === undefined ? undefined : resolve(io.cwd, manifests),
    bundlesDir: bundles === undefined ? undefined : resolve(io.cwd, bundles),
    apiServerPort,
    brokerPort,
    tickSeconds,
    replicas,
    jobController: !parsed.switches.has('--no-job-controller'),
    ...outputOptions(parsed.switches.has('--verbose'), io),
  };
}

/**
 * A function's output line worth showing without --verbose: pino warn/error/fatal, or anything not JSON
 * (a crash). Not the runtime's complaints about the health probes: faas-js-runtime 3.0.2 answers a
 * readiness probe made while the process is busy starting with a TypeError logged as an error
 * (overload-protection calls `res.setHeader` on a fastify reply) and a 503; the host probes again.
 */
export function isNotable(line: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return true;
  }
  if (typeof parsed !== 'object' || parsed === null) return true;
  const { level, req } = parsed as { level?: unknown; req?: { url?: unknown } };
  if (typeof req?.url === 'string' && req.url.startsWith('/health/')) return false;
  return typeof level === 'number' ? level >= 40 : ['warn', 'error', 'fatal'].includes(String(level));
}

/** Warnings always, and the functions' warnings and errors; every delivery and every output line with --verbose. */
function outputOptions(verbose: boolean, io: Io): Pick<DevStackOptions, 'log' | 'trace' | 'functionOutput'> {
  const say = (line: string): void => void io.stderr.write(`${line}\n`);
  return {
    log: say,
    trace: verbose ? say : undefined,
    functionOutput: (label, line): void => {
      if (verbose || isNotable(line)) io.stderr.write(`[${label}] ${line}\n`);
    },
  };
}

/** The banner: where everything is and how to use it. */
export function readyText(stack: DevStack, stateDir: string): string {
  const lines = [
    'drplan dev: ready',
    `  API server   ${stack.apiServer.secureUrl}`,
    `  kubeconfig   ${stack.kubeconfigPath}`,
    ...Object.entries(stack.brokers).map(([name, url]) => `  broker       ${name}  ${url}`),
    ...stack.functions.map((f) => `  function     ${f.namespace}/${f.name}  ${f.url}  (${f.replicas} replica${f.replicas === 1 ? '' : 's'})`),
    ...stack.standIns.map((name) => `  stand-in     ${name}  (no bundle: its events are recorded in the event log)`),
    `  event log    ${stack.eventLogPath}`,
    '',
    'Try:',
    `  export KUBECONFIG=${stack.kubeconfigPath}`,
    '  kubectl apply -f examples/failover/00-namespaces.yaml -f examples/failover/10-workflows.yaml -f examples/failover/20-plan.yaml',
    '  kubectl get drworkflows,drplans -n shop',
    '  kubectl apply -f examples/failover/30-execute.yaml',
    '  kubectl get drplanexecutions -n shop -w',
    '  kubectl get events -n shop --field-selector involvedObject.kind=DRPlanExecution',
    '  npx drplan replay --since 10m     # re-deliver the last 10 minutes of events',
    '',
    `Stop with Ctrl-C; state is kept in ${stateDir}.`,
  ];
  return `${lines.join('\n')}\n`;
}

export const dev: Command = {
  summary: 'run the whole local stack: API server, the functions and the Knative eventing',
  usage: USAGE,
  async run(args: string[], io: Io): Promise<number> {
    const parsed = parseArgs(args);
    const options = typeof parsed === 'string' ? parsed : toOptions(parsed, io);
    if (typeof options === 'string') {
      io.stderr.write(`drplan dev: ${options}\n${USAGE}\n`);
      return ExitCode.usage;
    }
    let stack: DevStack;
    try {
      stack = await startDevStack(options);
    } catch (error: unknown) {
      io.stderr.write(`drplan dev: ${error instanceof Error ? error.message : String(error)}\n`);
      return ExitCode.failed;
    }
    io.stdout.write(readyText(stack, options.stateDir));
    const signal = await interrupted();
    io.stderr.write(`drplan dev: stopping (${signal})\n`);
    await stack.stop();
    io.stderr.write(`drplan dev: stopped; state kept in ${options.stateDir}\n`);
    return ExitCode.ok;
  },
};
