/**
 * `drplan retry <execution> [--skip PATH=REASON]...`: continues a Failed or Cancelled execution with a
 * new one (`spec.retryOf`): the same frozen plan, every action that succeeded kept (not run again),
 * the rest run from where it stopped; `--skip` makes an action count as done by a person's decision.
 */
import { Kinds } from '../../shared/api/index.js';
import { ExitCode } from '../io.js';
import { CliError, getOrFail, kubeCommand, type CommandContext } from '../kube.js';
import { executionView, isFinalPhase } from '../render/execution-view.js';
import { announceAndWait, createExecution, executionName, executionObject } from './execute.js';

const USAGE = `Usage: drplan retry <execution> [--skip STAGE/WORKFLOW/ACTION=REASON]... [--wait] [--name NAME] [-n NAMESPACE] [--kubeconfig FILE] [--context NAME]

Continues a Failed or Cancelled execution with a new one (spec.retryOf), named <plan>-retry-<time>:
the plan as the execution froze it, every action that succeeded there kept — shown as such, not run
again — and the rest run from the failed action on. Fix the cause first. The retry takes the plan's
lock; its revert undoes the work of both executions (the earlier one is then not reverted on its own).

  --skip PATH=REASON  count the action at PATH (stage/workflowIndex/action, as drplan status shows it)
                      as done by your decision: it is Skipped with the reason, never run. Repeatable
  --wait              follow the retry to the end; exit 0 only if it Succeeded
  --name NAME         the retry's name instead of the generated one
  -n, --namespace     the namespace (default: the kubeconfig context's, else "default")`;

function parseSkips(values: readonly string[]): { action: string; reason: string }[] {
  return values.map((value) => {
    const at = value.indexOf('=');
    if (at <= 0 || at === value.length - 1)
      throw new CliError(`--skip "${value}": write PATH=REASON, e.g. --skip promote-database/0/promote-replica="promoted by hand"`, ExitCode.usage);
    return { action: value.slice(0, at), reason: value.slice(at + 1) };
  });
}

async function run({ parsed, io, connect }: CommandContext): Promise<number> {
  const skip = parseSkips(parsed.values.get('--skip') ?? []);
  const name = parsed.positionals[0] ?? '';
  const connection = await connect();
  const earlier = await getOrFail(connection, Kinds.execution, name);
  const view = executionView(earlier, new Date());
  if (view.operation !== 'Execute' || !isFinalPhase(view.phase) || view.phase === 'Succeeded') {
    throw new CliError(`DRPlanExecution "${name}" is ${view.operation} ${view.phase}: only a Failed or Cancelled Execute can be retried`);
  }
  const plan = (earlier.spec as { planRef?: string } | undefined)?.planRef ?? '';
  const retryName = parsed.values.get('--name')?.at(-1) ?? executionName(plan, new Date(), 'retry');
  const object = executionObject(connection, { name: retryName, plan, operationType: 'Execute', retryOf: name, skip });
  const created = await createExecution(connection, object);
  return announceAndWait('retry', connection, created, { io, wait: parsed.switches.has('--wait') });
}

export const retry = kubeCommand({
  name: 'retry',
  summary: 'continue a Failed or Cancelled execution from where it stopped (--skip: count an action as done)',
  usage: USAGE,
  flags: { values: ['--skip', '--name'], switches: ['--wait'] },
  positionals: [1, 1],
  run,
});
