/**
 * `drplan apiserver`: runs the embedded local Kubernetes API server in the foreground until SIGINT or
 * SIGTERM, printing one line when it is ready (URL and kubeconfig path).
 */
import { resolve } from 'node:path';
import { startApiServer, type ApiServerOptions } from '../../local/apiserver/index.js';
import { ExitCode, type Command, type Io, interrupted } from '../io.js';

const USAGE = `Usage: drplan apiserver [--port N] [--state-dir DIR] [--host HOST] [--token TOKEN] [--kubeconfig FILE] [--no-job-controller]

Runs the local Kubernetes API server (what kubectl and the functions talk to when there is no
cluster) until interrupted. State survives restarts in the state folder.

  --port N             port to listen on; 0 picks a free one (default 6443)
  --state-dir DIR      where objects are kept (default .drplan)
  --host HOST          address to listen on (default 127.0.0.1)
  --token TOKEN        bearer token clients must send (default: a new random one)
  --kubeconfig FILE    where to write the kubeconfig (default <state-dir>/kubeconfig)
  --no-job-controller  do not run the simulated Job controller

Use it with: kubectl --kubeconfig <state-dir>/kubeconfig get drplans`;

const VALUE_FLAGS = new Set(['--port', '--state-dir', '--host', '--token', '--kubeconfig']);

type Parsed = { options: Record<string, string>; jobController: boolean } | { error: string };

function parseArgs(args: readonly string[]): Parsed {
  const options: Record<string, string> = {};
  let jobController = true;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    const [flag = '', inline] = arg.split(/=(.*)/s, 2);
    if (arg === '--no-job-controller') jobController = false;
    else if (!VALUE_FLAGS.has(flag)) return { error: `unknown option "${arg}"` };
    else {
      const value = inline ?? args[(i += 1)];
      if (value === undefined || value === '') return { error: `${flag} needs a value` };
      options[flag] = value;
    }
  }
  return { options, jobController };
}

function toOptions(parsed: { options: Record<string, string>; jobController: boolean }, io: Io): ApiServerOptions | string {
  const port = Number(parsed.options['--port'] ?? '6443');
  if (!Number.isInteger(port) || port < 0 || port > 65535) return `--port must be a port number, not "${parsed.options['--port'] ?? ''}"`;
  const stateDir = resolve(io.cwd, parsed.options['--state-dir'] ?? '.drplan');
  const kubeconfig = parsed.options['--kubeconfig'];
  return {
    port,
    stateDir,
    host: parsed.options['--host'] ?? '127.0.0.1',
    jobController: parsed.jobController,
    log: (line) => io.stderr.write(`${line}\n`),
    ...(parsed.options['--token'] === undefined ? {} : { token: parsed.options['--token'] }),
    ...(kubeconfig === undefined ? {} : { kubeconfigPath: resolve(io.cwd, kubeconfig) }),
  };
}

export const apiserver: Command = {
  summary: 'run the local Kubernetes API server (for kubectl and the functions)',
  usage: USAGE,
  async run(args: string[], io: Io): Promise<number> {
    const parsed = parseArgs(args);
    const options = 'error' in parsed ? parsed.error : toOptions(parsed, io);
    if (typeof options === 'string') {
      io.stderr.write(`drplan apiserver: ${options}\n${USAGE}\n`);
      return ExitCode.usage;
    }
    let server;
    try {
      server = await startApiServer(options);
    } catch (error: unknown) {
      io.stderr.write(`drplan apiserver: ${error instanceof Error ? error.message : String(error)}\n`);
      return ExitCode.failed;
    }
    io.stdout.write(`drplan apiserver: ready at ${server.secureUrl} (plain HTTP: ${server.url}); kubeconfig: ${server.kubeconfigPath}\n`);
    const signal = await interrupted();
    await server.stop();
    io.stderr.write(`drplan apiserver: stopped (${signal}); state kept in ${options.stateDir}\n`);
    return ExitCode.ok;
  },
};
