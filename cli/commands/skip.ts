/**
 * `drplan skip <execution> <stage/workflowIndex/action> --reason "..."`: a stuck or waiting action of a
 * running execution counts as done by a person's decision. The annotation `dr.bkbcs.tencent.com/skip`
 * (`{"<path>": "<reason>"}`) asks for it; the orchestrator marks the action Skipped ("skipped by
 * decision: <reason>"), stops its attempt (its Job is deleted, its HTTP request aborted) and goes on —
 * what depends on it runs.
 */
import { Annotations, Kinds } from '../../shared/api/index.js';
import { findActionStatus } from '../../shared/engine/status-tree.js';
import { skipsRequested } from '../../shared/execution/objects.js';
import { ExitCode } from '../io.js';
import { CliError, drKey, getOrFail, kubeCommand, last, type CommandContext } from '../kube.js';
import { executionView, isFinalPhase } from '../render/execution-view.js';
import type { KubeObject } from '../../shared/kube/types.js';

const USAGE = `Usage: drplan skip <execution> <stage/workflowIndex/action> --reason TEXT [-n NAMESPACE] [--kubeconfig FILE] [--context NAME]

Makes an action of a running execution count as done by your decision: it becomes Skipped ("skipped by
decision: TEXT"), its attempt is stopped (its Job deleted, its HTTP request aborted), and what depends
on it runs. For an action that is waiting, running or stuck; a Failed action of a finished execution is
skipped in a retry instead (drplan retry <execution> --skip PATH=REASON). A revert does not undo what a
skipped action may have done.

  --reason TEXT      why (required): recorded in the action's message and an Event`;

/** The action, when it can still be skipped; else why not. */
function refusalOf(execution: KubeObject, name: string, path: string): string | undefined {
  const phase = executionView(execution, new Date()).phase;
  if (isFinalPhase(phase))
    return `DRPlanExecution "${name}" has already finished (phase ${phase}); skip a failed action in a retry: drplan retry ${name} --skip ${path}=...`;
  const action = findActionStatus(execution.status ?? {}, path);
  if (action === undefined) return `DRPlanExecution "${name}" has no action "${path}" (paths are stage/workflowIndex/action, as drplan status shows them)`;
  const done = action.phase === 'Succeeded' || action.phase === 'Skipped' || action.phase === 'Failed';
  return done ? `action ${path} is already ${action.phase}; only a pending, running or stuck action can be skipped` : undefined;
}

async function run({ parsed, io, connect }: CommandContext): Promise<number> {
  const [name = '', path = ''] = parsed.positionals;
  const reason = last(parsed, '--reason');
  if (reason === undefined || reason.trim() === '') throw new CliError('--reason is required: say why the action counts as done\n\n' + USAGE, ExitCode.usage);
  const connection = await connect();
  const execution = await getOrFail(connection, Kinds.execution, name);
  const refusal = refusalOf(execution, name, path);
  if (refusal !== undefined) throw new CliError(refusal);
  const skips = { ...skipsRequested(execution), [path]: reason };
  await connection.kube.mergePatch(drKey(Kinds.execution, name, connection.namespace), {
    metadata: { annotations: { [Annotations.skip]: JSON.stringify(skips) } },
  });
  io.stdout.write(`action ${path} of DRPlanExecution ${connection.namespace}/${name} will count as done: ${reason}\n`);
  return ExitCode.ok;
}

export const skip = kubeCommand({
  name: 'skip',
  summary: 'count a pending, running or stuck action as done by your decision (--reason)',
  usage: USAGE,
  flags: { values: ['--reason'] },
  positionals: [2, 2],
  run,
});
