/**
 * `drplan history <plan>`: the executions of a plan (label `drplan=<plan>`), newest first, with
 * operation, phase, progress, start and duration — what `kubectl get drpe -l drplan=<plan>` lists,
 * ordered and summed up.
 */
import { stringify } from 'yaml';
import { API_VERSION, Kinds, Labels } from '../../shared/api/index.js';
import type { KubeObject } from '../../shared/kube/types.js';
import { ExitCode } from '../io.js';
import { CliError, drKey, kubeCommand, last, type CommandContext } from '../kube.js';
import { executionView, type ExecutionView } from '../render/execution-view.js';
import { formatTime, table } from '../render/format.js';
import { outputFormat } from './status.js';

const USAGE = `Usage: drplan history <plan> [-o json|yaml] [-n NAMESPACE] [--kubeconfig FILE] [--context NAME]

Lists the DRPlanExecutions of a plan, newest first: name, operation, phase, actions done, start time,
duration, and for a Revert the execution it reverts. The same query with kubectl:

  kubectl get drplanexecutions -l drplan=<plan> --sort-by=.metadata.creationTimestamp

  -o, --output FMT   json or yaml: one record per execution
  -n, --namespace    the namespace (default: the kubeconfig context's, else "default")
  --kubeconfig FILE  the kubeconfig (default: $KUBECONFIG, else ~/.kube/config)
  --context NAME     a context of the kubeconfig other than its current one`;

interface HistoryRecord {
  name: string;
  operation: string;
  phase: string;
  progress: string;
  created?: string | undefined;
  startTime?: string | undefined;
  completionTime?: string | undefined;
  duration?: string | undefined;
  revertOf?: string | undefined;
  message?: string | undefined;
}

const createdAt = (object: KubeObject): number => Date.parse(object.metadata.creationTimestamp ?? '') || 0;

/** Newest first; executions created in the same second by name, later names first. */
export function newestFirst(items: readonly KubeObject[]): KubeObject[] {
  return [...items].sort((a, b) => createdAt(b) - createdAt(a) || (b.metadata.name ?? '').localeCompare(a.metadata.name ?? ''));
}

function recordOf(object: KubeObject, view: ExecutionView): HistoryRecord {
  return {
    name: view.name,
    operation: view.operation,
    phase: view.phase,
    progress: `${view.progress.done}/${view.progress.total}`,
    created: object.metadata.creationTimestamp,
    startTime: view.startTime,
    completionTime: view.completionTime,
    duration: view.duration,
    revertOf: view.revertOf,
    message: view.message,
  };
}

function textLines(records: readonly HistoryRecord[]): string[] {
  const rows = records.map((r) => [r.name, r.operation, r.phase, r.progress, formatTime(r.startTime ?? r.created), r.duration ?? '-', r.revertOf ?? '']);
  return table([['NAME', 'OPERATION', 'PHASE', 'ACTIONS', 'STARTED', 'DURATION', 'REVERTS'], ...rows]);
}

async function run({ parsed, io, connect }: CommandContext): Promise<number> {
  const format = outputFormat(last(parsed, '--output'));
  const plan = parsed.positionals[0] ?? '';
  const connection = await connect();
  const { kube, namespace } = connection;
  const items = await kube.list(API_VERSION, Kinds.execution, { namespace, labelSelector: `${Labels.planShort}=${plan}` });
  if (items.length === 0 && (await kube.get(drKey(Kinds.plan, plan, namespace))) === undefined) {
    throw new CliError(`DRPlan "${plan}" not found in namespace "${namespace}" and no executions carry the label drplan=${plan}`);
  }
  const now = new Date();
  const records = newestFirst(items).map((object) => recordOf(object, executionView(object, now)));
  if (format === 'json') io.stdout.write(`${JSON.stringify(JSON.parse(JSON.stringify(records)), null, 2)}\n`);
  else if (format === 'yaml') io.stdout.write(stringify(JSON.parse(JSON.stringify(records))));
  else if (records.length === 0) io.stdout.write(`DRPlan ${namespace}/${plan} has no executions yet (drplan execute ${plan} starts one)\n`);
  else io.stdout.write(`${textLines(records).join('\n')}\n`);
  return ExitCode.ok;
}

export const history = kubeCommand({
  name: 'history',
  summary: 'list the executions of a plan, newest first',
  usage: USAGE,
  flags: { values: ['--output'], aliases: { '-o': '--output' } },
  positionals: [1, 1],
  run,
});
