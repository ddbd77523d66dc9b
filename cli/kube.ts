/**
 * What every cluster command shares: its flags (`--kubeconfig`, `--context`, `-n/--namespace` plus its
 * own), the connection (the kubeconfig kubectl would use, checked to answer before anything else), and
 * the error a person can act on.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { API_VERSION, Plurals } from '../shared/api/index.js';
import { KubeApiError } from '../shared/kube/api-error.js';
import { createKube } from '../shared/kube/client.js';
import { JsonObjectApi } from '../shared/kube/json-object-api.js';
import type { Kube, KubeObject, ObjectKey } from '../shared/kube/types.js';
import { ExitCode, type Command, type Io } from './io.js';

/** A failure the user can act on: printed as `drplan <command>: <message>`, no stack trace. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = ExitCode.failed, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

// ---- Flags ---------------------------------------------------------------------------------------

export interface FlagSpec {
  /** Flags that take a value (repeatable; the last one wins unless the command reads them all). */
  values?: readonly string[];
  switches?: readonly string[];
  /** Short forms: `-o` → `--output`. */
  aliases?: Readonly<Record<string, string>>;
}

export interface ParsedArgs {
  positionals: string[];
  values: Map<string, string[]>;
  switches: Set<string>;
}

const CONNECTION_FLAGS = ['--kubeconfig', '--context', '--namespace'];
const CONNECTION_ALIASES: Readonly<Record<string, string>> = { '-n': '--namespace' };

export const last = (parsed: ParsedArgs, flag: string): string | undefined => parsed.values.get(flag)?.at(-1);

interface Grammar {
  values: ReadonlySet<string>;
  switches: ReadonlySet<string>;
  aliases: Readonly<Record<string, string>>;
}

/** `--flag=value` splits at the first `=`; short forms map to their long names. */
function flagOf(arg: string, grammar: Grammar): { written: string; flag: string; inline: string | undefined } {
  const [written = '', inline] = arg.startsWith('--') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
  return { written, flag: grammar.aliases[written] ?? written, inline };
}

/** Reads the option at `args[index]` into `parsed`; returns how many arguments it used, or the usage error. */
function readOption(args: readonly string[], index: number, grammar: Grammar, parsed: ParsedArgs): number | string {
  const arg = args[index] ?? '';
  const { written, flag, inline } = flagOf(arg, grammar);
  if (grammar.switches.has(flag) && inline === undefined) {
    parsed.switches.add(flag);
    return 1;
  }
  if (!grammar.values.has(flag)) return `unknown option "${arg}"`;
  const value = inline ?? args[index + 1];
  if (value === undefined || value === '') return `${written} needs a value`;
  parsed.values.set(flag, [...(parsed.values.get(flag) ?? []), value]);
  return inline === undefined ? 2 : 1;
}

/** Parses `args` (`--flag value`, `--flag=value`, switches, positionals); a string is the usage error. */
export function parseArgs(args: readonly string[], spec: FlagSpec): ParsedArgs | string {
  const grammar: Grammar = {
    values: new Set([...CONNECTION_FLAGS, ...(spec.values ?? [])]),
    switches: new Set(spec.switches ?? []),
    aliases: { ...CONNECTION_ALIASES, ...spec.aliases },
  };
  const parsed: ParsedArgs = { positionals: [], values: new Map(), switches: new Set() };
  for (let i = 0; i < args.length;) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('-') || arg === '-') {
      parsed.positionals.push(arg);
      i += 1;
      continue;
    }
    const used = readOption(args, i, grammar, parsed);
    if (typeof used === 'string') return used;
    i += used;
  }
  return parsed;
}

// ---- Connecting ----------------------------------------------------------------------------------

export interface Connection {
  kc: KubeConfig;
  kube: Kube;
  /** Plain JSON requests the `Kube` interface does not offer (field selectors). */
  api: JsonObjectApi;
  namespace: string;
  /** Which kubeconfig was used, for messages. */
  source: string;
}

/** The kubeconfig kubectl would read, described for messages. */
function describeSource(explicit: string | undefined): string {
  if (explicit !== undefined) return explicit;
  const env = process.env.KUBECONFIG ?? '';
  if (env !== '') return env;
  const home = join(homedir(), '.kube', 'config');
  if (existsSync(home)) return home;
  if ((process.env.KUBERNETES_SERVICE_HOST ?? '') !== '') return 'the in-cluster service account';
  return 'none ($KUBECONFIG is unset and ~/.kube/config does not exist; pass --kubeconfig)';
}

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function loadConfig(parsed: ParsedArgs, cwd: string): { kc: KubeConfig; source: string } {
  const file = last(parsed, '--kubeconfig');
  const path = file === undefined ? undefined : resolve(cwd, file);
  const kc = new KubeConfig();
  try {
    if (path === undefined) kc.loadFromDefault();
    else kc.loadFromFile(path);
  } catch (error: unknown) {
    throw new CliError(`cannot read kubeconfig ${path ?? describeSource(undefined)}: ${messageOf(error)}`, ExitCode.failed, { cause: error });
  }
  return { kc, source: describeSource(path) };
}

function selectContext(kc: KubeConfig, parsed: ParsedArgs, source: string): void {
  const context = last(parsed, '--context');
  if (context === undefined) return;
  if (kc.getContextObject(context) === null) {
    const known = kc.getContexts().map(({ name }) => name);
    throw new CliError(`kubeconfig ${source} has no context "${context}" (it has: ${known.join(', ') || 'none'})`);
  }
  kc.setCurrentContext(context);
}

/** Asks the API server for its version: the one place "no cluster reachable" is decided. */
async function probe(api: JsonObjectApi, kc: KubeConfig, source: string): Promise<void> {
  try {
    await api.send({ method: 'GET', path: '/version', what: 'reach the API server' });
  } catch (error: unknown) {
    if (!(error instanceof KubeApiError) || error.cause === undefined) throw error;
    const server = kc.getCurrentCluster()?.server ?? '(no server)';
    const detail = messageOf(error.cause);
    throw new CliError(`no cluster reachable at ${server} (kubeconfig ${source}, context ${kc.getCurrentContext() || '(none)'}): ${detail}`, ExitCode.failed, {
      cause: error,
    });
  }
}

/** The cluster of the kubeconfig and context the flags name (as kubectl chooses them), checked to answer. */
export async function connect(parsed: ParsedArgs, io: Io): Promise<Connection> {
  const { kc, source } = loadConfig(parsed, io.cwd);
  selectContext(kc, parsed, source);
  if (kc.getCurrentCluster() === null) {
    throw new CliError(
      `kubeconfig ${source} names no current cluster (contexts: ${
        kc
          .getContexts()
          .map(({ name }) => name)
          .join(', ') || 'none'
      }); pass --context`,
    );
  }
  const api = JsonObjectApi.forConfig(kc);
  await probe(api, kc, source);
  const namespace = last(parsed, '--namespace') ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  return { kc, kube: createKube(kc), api, namespace, source };
}

// ---- Commands ------------------------------------------------------------------------------------

export interface CommandContext {
  parsed: ParsedArgs;
  io: Io;
  /** Connects on first use (a command that needs no cluster never does). */
  connect: () => Promise<Connection>;
}

export interface CommandDefinition {
  name: string;
  summary: string;
  usage: string;
  flags: FlagSpec;
  /** How many positionals the command takes: [min, max]. */
  positionals: readonly [number, number];
  run(context: CommandContext): Promise<number>;
}

function positionalError(definition: CommandDefinition, parsed: ParsedArgs): string | undefined {
  const [min, max] = definition.positionals;
  const count = parsed.positionals.length;
  if (count < min) return 'missing argument';
  if (count > max) return `unexpected argument "${parsed.positionals[max] ?? ''}"`;
  return undefined;
}

function report(name: string, error: unknown, io: Io): number {
  if (error instanceof CliError) {
    io.stderr.write(`drplan ${name}: ${error.message}\n`);
    return error.exitCode;
  }
  io.stderr.write(`drplan ${name}: ${messageOf(error)}\n`);
  return ExitCode.failed;
}

/** A `Command` with the shared flag parsing, usage errors (exit 2) and error reporting. */
export function kubeCommand(definition: CommandDefinition): Command {
  return {
    summary: definition.summary,
    usage: definition.usage,
    async run(args: string[], io: Io): Promise<number> {
      const parsed = parseArgs(args, definition.flags);
      const usageError = typeof parsed === 'string' ? parsed : positionalError(definition, parsed);
      if (usageError !== undefined || typeof parsed === 'string') {
        io.stderr.write(`drplan ${definition.name}: ${usageError ?? ''}\n\n${definition.usage}\n`);
        return ExitCode.usage;
      }
      let connection: Promise<Connection> | undefined;
      const context: CommandContext = { parsed, io, connect: () => (connection ??= connect(parsed, io)) };
      try {
        return await definition.run(context);
      } catch (error: unknown) {
        return report(definition.name, error, io);
      }
    },
  };
}

// ---- Objects of the DR API -----------------------------------------------------------------------

export const drKey = (kind: ObjectKey['kind'], name: string, namespace: string): ObjectKey => ({ apiVersion: API_VERSION, kind, name, namespace });

/** Gets a DR object, or fails with a message naming the kind, the name and the namespace. */
export async function getOrFail(connection: Connection, kind: string, name: string): Promise<KubeObject> {
  const found = await connection.kube.get(drKey(kind, name, connection.namespace));
  if (found !== undefined) return found;
  const plural = Plurals[kind as keyof typeof Plurals];
  throw new CliError(`${kind} "${name}" not found in namespace "${connection.namespace}" (kubectl get ${plural} -n ${connection.namespace} lists them)`);
}
