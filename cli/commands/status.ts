/**
 * `drplan status <execution> [--watch] [-o json|yaml]`: where an execution is — stages → workflows →
 * actions with phase, attempt, duration and message, a progress bar per workflow and overall. `--watch`
 * follows it with the Watch API until it finishes. Also what `execute --wait` and `revert --wait` use.
 */
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { API_VERSION, Kinds, Plurals } from '../../shared/api/index.js';
import type { KubeObject } from '../../shared/kube/types.js';
import { ExitCode, type Io } from '../io.js';
import { CliError, drKey, getOrFail, kubeCommand, last, messageOf, type CommandContext, type Connection } from '../kube.js';
import { executionView, isFinalPhase } from '../render/execution-view.js';
import { paintFor } from '../render/format.js';
import { formatDocument, liveDisplay, terminalOf, type OutputFormat } from '../render/live.js';
import { renderTree } from '../render/tree.js';

const USAGE = `Usage: drplan status <execution> [--watch] [-o json|yaml] [-n NAMESPACE] [--kubeconfig FILE] [--context NAME]

Shows a DRPlanExecution as a tree: each stage, its workflows (with a progress bar) and their actions,
with phase, attempt, duration and the last message; the header has the overall progress.

  --watch            follow the execution until it finishes (Watch API). On a terminal the tree is
                     redrawn in place; piped, one line per transition is printed instead
  -o, --output FMT   json or yaml: the same information as a document (with --watch, one per change)
  -n, --namespace    the namespace (default: the kubeconfig context's, else "default")
  --kubeconfig FILE  the kubeconfig (default: $KUBECONFIG, else ~/.kube/config)
  --context NAME     a context of the kubeconfig other than its current one

Phases: Pending · Running ▶ Succeeded ✔ Failed ✘ Skipped - Cancelled ⊘ Unknown ? (no word from the
function for 2 minutes; it is re-driven and returns to Running when contact is back).`;

export function outputFormat(value: string | undefined): OutputFormat {
  if (value === undefined) return 'text';
  if (value === 'json' || value === 'yaml') return value;
  throw new CliError(`-o must be json or yaml, not "${value}"`, ExitCode.usage);
}

// ---- Following an execution with the Watch API ---------------------------------------------------

/** What the follower is told: the object as it is now, or that it is gone. Return true to stop. */
export type Follow = (object: KubeObject | undefined) => boolean;

const RECONNECT_DELAY_MS = 500;
const RECONNECT_ATTEMPTS = 5;

const isKubeObject = (value: unknown): value is KubeObject =>
  typeof value === 'object' && value !== null && 'metadata' in value && typeof value.metadata === 'object';

const pause = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/**
 * Follows one DRPlanExecution with the Watch API (no polling): `follow` is called with each new state
 * until it returns true or the object is deleted. A watch the server ends is resumed from the last
 * resourceVersion; one that is too old (410 Expired) restarts from a fresh read.
 */
export async function followExecution(connection: Connection, current: KubeObject, follow: Follow): Promise<void> {
  if (follow(current)) return;
  const name = current.metadata.name ?? '';
  const path = `/apis/${API_VERSION}/namespaces/${encodeURIComponent(connection.namespace)}/${Plurals[Kinds.execution]}`;
  let resourceVersion = current.metadata.resourceVersion;
  let failures = 0;
  for (;;) {
    const outcome = await watchOnce(connection.kc, { path, name, resourceVersion }, follow);
    if (outcome.kind === 'stopped') return;
    failures = outcome.kind === 'failed' && outcome.resourceVersion === resourceVersion ? failures + 1 : 0;
    await backOff(failures, name, outcome.error);
    const resumed = outcome.kind === 'expired' ? await refetch(connection, name, follow) : { stop: false, resourceVersion: outcome.resourceVersion };
    if (resumed.stop) return;
    resourceVersion = resumed.resourceVersion;
  }
}

/** Waits longer after each failed watch that made no progress; gives up after a few. */
async function backOff(failures: number, name: string, error: unknown): Promise<void> {
  if (failures === 0) return;
  if (failures >= RECONNECT_ATTEMPTS)
    throw new CliError(`lost the watch on ${Kinds.execution} "${name}": ${messageOf(error)}`, ExitCode.failed, { cause: error });
  await pause(RECONNECT_DELAY_MS * failures);
}

/** After 410 Expired: the object as it is now, and where to watch from. */
async function refetch(connection: Connection, name: string, follow: Follow): Promise<{ stop: boolean; resourceVersion: string | undefined }> {
  const object = await connection.kube.get(drKey(Kinds.execution, name, connection.namespace));
  return { stop: follow(object) || object === undefined, resourceVersion: object?.metadata.resourceVersion };
}

type WatchOutcome =
  | { kind: 'stopped' }
  | { kind: 'ended' | 'expired'; resourceVersion: string | undefined; error?: undefined }
  | { kind: 'failed'; resourceVersion: string | undefined; error: unknown };

interface WatchTarget {
  path: string;
  name: string;
  resourceVersion: string | undefined;
}

interface WatchState {
  resourceVersion: string | undefined;
  settled?: WatchOutcome | undefined;
}

/** What one watch event means: an outcome that ends this watch, or undefined to go on. */
function onWatchEvent(type: string, object: unknown, state: WatchState, follow: Follow): WatchOutcome | undefined {
  if (type === 'ERROR') {
    const status = (object ?? {}) as { code?: unknown; message?: unknown };
    const expired = status.code === 410;
    return expired
      ? { kind: 'expired', resourceVersion: state.resourceVersion }
      : { kind: 'failed', resourceVersion: state.resourceVersion, error: new Error(typeof status.message === 'string' ? status.message : 'watch error') };
  }
  if (!isKubeObject(object)) return undefined;
  state.resourceVersion = object.metadata.resourceVersion ?? state.resourceVersion;
  if (type === 'BOOKMARK') return undefined;
  if (type === 'DELETED') {
    follow(undefined);
    return { kind: 'stopped' };
  }
  return follow(object) ? { kind: 'stopped' } : undefined;
}

/** One watch request, until the server ends it, it fails, or `follow` says stop. */
function watchOnce(kc: KubeConfig, target: WatchTarget, follow: Follow): Promise<WatchOutcome> {
  const state: WatchState = { resourceVersion: target.resourceVersion };
  return new Promise((done) => {
    const finish = (outcome: WatchOutcome): void => {
      state.settled ??= outcome;
      void controller.then((c) => {
        c.abort();
      });
      done(state.settled);
    };
    const onEvent = (type: string, object: unknown): void => {
      if (state.settled !== undefined) return;
      const outcome = onWatchEvent(type, object, state, follow);
      if (outcome !== undefined) finish(outcome);
    };
    const query = { fieldSelector: `metadata.name=${target.name}`, resourceVersion: state.resourceVersion, allowWatchBookmarks: true };
    const controller = new Watch(kc).watch(target.path, query, onEvent, (error: unknown) => {
      finish(
        error === null || error === undefined
          ? { kind: 'ended', resourceVersion: state.resourceVersion }
          : { kind: 'failed', resourceVersion: state.resourceVersion, error },
      );
    });
  });
}

/** The exit status of a finished execution for `--wait`: 0 only when it Succeeded. */
export function waitOutcome(command: string, object: KubeObject | undefined, io: Io): number {
  if (object === undefined) {
    io.stderr.write(`drplan ${command}: the DRPlanExecution was deleted before it finished\n`);
    return ExitCode.failed;
  }
  const view = executionView(object, new Date());
  if (view.phase === 'Succeeded') return ExitCode.ok;
  const message = view.message === undefined ? '' : `: ${view.message}`;
  io.stderr.write(`drplan ${command}: DRPlanExecution ${view.namespace}/${view.name} ${view.phase}${message}\n`);
  return ExitCode.failed;
}

/**
 * Shows the execution live until it reaches Succeeded, Failed or Cancelled (or is deleted); resolves
 * with its last state (undefined when deleted).
 */
export async function watchExecution(connection: Connection, object: KubeObject, io: Io, format: OutputFormat): Promise<KubeObject | undefined> {
  const display = liveDisplay(io, format);
  let latest: KubeObject | undefined = object;
  try {
    await followExecution(connection, object, (next) => {
      latest = next;
      if (next === undefined) return true;
      display.show(next);
      return isFinalPhase(executionView(next, new Date()).phase);
    });
  } finally {
    display.end();
  }
  return latest;
}

function showOnce(object: KubeObject, io: Io, format: OutputFormat): void {
  const view = executionView(object, new Date());
  if (format !== 'text') {
    io.stdout.write(formatDocument(view, format, false));
    return;
  }
  const terminal = terminalOf(io);
  io.stdout.write(`${renderTree(view, { paint: paintFor(terminal.tty), width: terminal.columns }).join('\n')}\n`);
}

async function run({ parsed, io, connect }: CommandContext): Promise<number> {
  const format = outputFormat(last(parsed, '--output'));
  const name = parsed.positionals[0] ?? '';
  const connection = await connect();
  const object = await getOrFail(connection, Kinds.execution, name);
  if (!parsed.switches.has('--watch')) {
    showOnce(object, io, format);
    return ExitCode.ok;
  }
  const final = await watchExecution(connection, object, io, format);
  if (final !== undefined) return ExitCode.ok;
  io.stderr.write(`drplan status: DRPlanExecution "${name}" was deleted\n`);
  return ExitCode.failed;
}

export const status = kubeCommand({
  name: 'status',
  summary: 'show an execution as a tree of stages, workflows and actions (--watch: live)',
  usage: USAGE,
  flags: { values: ['--output'], switches: ['--watch'], aliases: { '-o': '--output', '-w': '--watch' } },
  positionals: [1, 1],
  run,
});
