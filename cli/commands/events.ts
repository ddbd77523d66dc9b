/**
 * `drplan events <execution>`: the Kubernetes Events recorded on an execution (ExecutionStarted,
 * StageSucceeded, ActionRetrying, …), oldest first. Asks the API server to filter by
 * `involvedObject`; a server that refuses the field selector gets the namespace's Events filtered here.
 */
import { stringify } from 'yaml';
import { Kinds } from '../../shared/api/index.js';
import { KubeApiError } from '../../shared/kube/api-error.js';
import { ExitCode } from '../io.js';
import { CliError, drKey, kubeCommand, last, type CommandContext, type Connection } from '../kube.js';
import { formatTime, table } from '../render/format.js';
import { outputFormat } from './status.js';

const USAGE = `Usage: drplan events <execution> [-o json|yaml] [-n NAMESPACE] [--kubeconfig FILE] [--context NAME]

Lists the Kubernetes Events of a DRPlanExecution in time order: every transition the functions
recorded (ExecutionStarted/Succeeded/Failed/Cancelled, Stage…, Workflow…, ActionStarted/Succeeded/
Failed/Retrying, Revert…). The same with kubectl:

  kubectl get events --field-selector involvedObject.kind=DRPlanExecution,involvedObject.name=<execution>

  -o, --output FMT   json or yaml: the Events as the API returns them
  -n, --namespace    the namespace (default: the kubeconfig context's, else "default")
  --kubeconfig FILE  the kubeconfig (default: $KUBECONFIG, else ~/.kube/config)
  --context NAME     a context of the kubeconfig other than its current one`;

export interface CoreEvent {
  metadata?: { name?: string; creationTimestamp?: string; resourceVersion?: string };
  involvedObject?: { kind?: string; name?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  eventTime?: string | null;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
}

const whenOf = (event: CoreEvent): string | undefined =>
  event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata?.creationTimestamp ?? undefined;

const versionOf = (event: CoreEvent): number => Number(event.metadata?.resourceVersion ?? 0) || 0;

/** Oldest first; Events of the same second in the order the API server stored them. */
export function inTimeOrder(events: readonly CoreEvent[]): CoreEvent[] {
  const time = (event: CoreEvent): number => Date.parse(whenOf(event) ?? '') || 0;
  return [...events].sort((a, b) => time(a) - time(b) || versionOf(a) - versionOf(b));
}

async function listEvents(connection: Connection, query: Record<string, string>): Promise<CoreEvent[]> {
  const path = `/api/v1/namespaces/${encodeURIComponent(connection.namespace)}/events`;
  const list = (await connection.api.send({ method: 'GET', path, query, what: `list Events in ${connection.namespace}` })) as
    { items?: CoreEvent[] } | undefined;
  return list?.items ?? [];
}

/** The Events of one execution: by field selector, or filtered here when the server refuses it. */
async function eventsOf(connection: Connection, name: string): Promise<CoreEvent[]> {
  const matches = (event: CoreEvent): boolean => event.involvedObject?.kind === Kinds.execution && event.involvedObject.name === name;
  try {
    const selected = await listEvents(connection, { fieldSelector: `involvedObject.kind=${Kinds.execution},involvedObject.name=${name}` });
    return selected.filter(matches);
  } catch (error: unknown) {
    if (!(error instanceof KubeApiError) || error.code !== 400) throw error;
    return (await listEvents(connection, {})).filter(matches);
  }
}

function textLines(events: readonly CoreEvent[]): string[] {
  const rows = events.map((event) => [
    formatTime(whenOf(event)),
    event.type ?? '',
    event.reason ?? '',
    (event.count ?? 1) > 1 ? `x${event.count ?? 1}` : '',
    event.message ?? '',
  ]);
  return table([['TIME', 'TYPE', 'REASON', 'COUNT', 'MESSAGE'], ...rows]);
}

async function run({ parsed, io, connect }: CommandContext): Promise<number> {
  const format = outputFormat(last(parsed, '--output'));
  const name = parsed.positionals[0] ?? '';
  const connection = await connect();
  const events = inTimeOrder(await eventsOf(connection, name));
  const exists = events.length > 0 || (await connection.kube.get(drKey(Kinds.execution, name, connection.namespace))) !== undefined;
  if (!exists) throw new CliError(`DRPlanExecution "${name}" not found in namespace "${connection.namespace}", and no Events name it`);
  if (format === 'json') io.stdout.write(`${JSON.stringify(events, null, 2)}\n`);
  else if (format === 'yaml') io.stdout.write(stringify(events));
  else if (events.length === 0) io.stdout.write(`No Events recorded for DRPlanExecution ${connection.namespace}/${name} yet\n`);
  else io.stdout.write(`${textLines(events).join('\n')}\n`);
  return ExitCode.ok;
}

export const events = kubeCommand({
  name: 'events',
  summary: 'list the Kubernetes Events of an execution in time order',
  usage: USAGE,
  flags: { values: ['--output'], aliases: { '-o': '--output' } },
  positionals: [1, 1],
  run,
});
