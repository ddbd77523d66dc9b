/**
 * `drplan revert <execution> [--wait]`: creates a DRPlanExecution (Revert) that rolls back what the
 * named Execute did succeed, after checking it can: the target exists, is an Execute, has finished,
 * and its plan is not running another execution.
 */
import { Kinds } from '../../shared/api/index.js';
import type { KubeObject } from '../../shared/kube/types.js';
import { CliError, getOrFail, kubeCommand, type CommandContext } from '../kube.js';
import { executionView, isFinalPhase } from '../render/execution-view.js';
import { announceAndWait, createExecution, ensureNotRunning, executionName, executionObject } from './execute.js';

const USAGE = `Usage: drplan revert <execution> [--wait] [--name NAME] [-n NAMESPACE] [--kubeconfig FILE] [--context NAME]

Rolls back an Execute: creates a DRPlanExecution (operationType Revert, revertExecutionRef
<execution>) named <plan>-revert-<yyyymmdd-hhmmss> (UTC). The revert undoes the actions of the target
that Succeeded, newest first, one at a time: an action's own rollback when it has one, otherwise the
automatic one (a Job or a created object is deleted, a patched object gets its prior state back); an
HTTP action without a rollback is skipped. Actions that Failed, were Skipped, were cancelled while
running or ended Unknown are NOT rolled back — check what they did by hand.

The target may be Succeeded, Failed or Cancelled; a Running one must be cancelled or finish first.

  --wait             follow the revert to the end; exit 0 only if it Succeeded
  --name NAME        the revert's name instead of the generated one
  -n, --namespace    the namespace (default: the kubeconfig context's, else "default")
  --kubeconfig FILE  the kubeconfig (default: $KUBECONFIG, else ~/.kube/config)
  --context NAME     a context of the kubeconfig other than its current one

Exit status: 0 created (with --wait: Succeeded), 1 refused or did not succeed, 2 usage error.`;

/** The target must be a finished Execute. */
function checkTarget(target: KubeObject): string {
  const view = executionView(target, new Date());
  if (view.operation !== 'Execute') {
    throw new CliError(`DRPlanExecution "${view.name}" is a Revert; only an Execute can be reverted (its target is "${view.revertOf ?? '?'}")`);
  }
  if (!isFinalPhase(view.phase)) {
    throw new CliError(
      `DRPlanExecution "${view.name}" is ${view.phase}; it can be reverted once it has finished ` +
        `(wait with: drplan status ${view.name} --watch, or stop it with: drplan cancel ${view.name})`,
    );
  }
  return view.plan;
}

async function run({ parsed, io, connect }: CommandContext): Promise<number> {
  const targetName = parsed.positionals[0] ?? '';
  const connection = await connect();
  const target = await getOrFail(connection, Kinds.execution, targetName);
  const planName = checkTarget(target);
  const plan = await getOrFail(connection, Kinds.plan, planName);
  await ensureNotRunning(connection, plan);
  const name = parsed.values.get('--name')?.at(-1) ?? executionName(planName, new Date(), 'revert');
  const object = executionObject(connection, { name, plan: planName, operationType: 'Revert', revertExecutionRef: targetName });
  const created = await createExecution(connection, object);
  return announceAndWait('revert', connection, created, { io, wait: parsed.switches.has('--wait') });
}

export const revert = kubeCommand({
  name: 'revert',
  summary: 'roll back what an execution did (--wait: follow it to the end)',
  usage: USAGE,
  flags: { values: ['--name'], switches: ['--wait'] },
  positionals: [1, 1],
  run,
});
