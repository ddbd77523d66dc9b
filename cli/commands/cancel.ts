/**
 * `drplan cancel <execution> | --plan <plan>`: asks the cancel function to stop an execution, by the
 * execution's annotation `dr.bkbcs.tencent.com/cancel: "true"` or the plan's
 * `dr.bkbcs.tencent.com/trigger: cancel` (which cancels whatever the plan is running).
 */
import { Annotations, DRPlanStatusSchema, Kinds } from '../../shared/api/index.js';
import type { KubeObject } from '../../shared/kube/types.js';
import { ExitCode, type Io } from '../io.js';
import { CliError, drKey, getOrFail, kubeCommand, last, type CommandContext, type Connection } from '../kube.js';
import { executionView, isFinalPhase } from '../render/execution-view.js';
import { watchExecution } from './status.js';

const USAGE = `Usage: drplan cancel <execution> [--wait] [-n NAMESPACE] [--kubeconfig FILE] [--context NAME]
       drplan cancel --plan <plan> [--wait] [...]

Stops a running execution: nothing new starts, running Jobs are deleted, pending work is marked
Skipped, actions that were running are Failed ("cancelled while running"), the phase becomes
Cancelled and the plan's lock is released; an HTTP request in flight is aborted. What already ran is
not undone: drplan revert does that, and it also compensates the actions cancelled while running
(their requests may have reached their targets).

  <execution>        sets dr.bkbcs.tencent.com/cancel: "true" on that DRPlanExecution
  --plan PLAN        sets dr.bkbcs.tencent.com/trigger: cancel on the DRPlan, which cancels the
                     execution it is running
  --wait             follow the execution until it has stopped; exit 0 only if it ended Cancelled
  -n, --namespace    the namespace (default: the kubeconfig context's, else "default")
  --kubeconfig FILE  the kubeconfig (default: $KUBECONFIG, else ~/.kube/config)
  --context NAME     a context of the kubeconfig other than its current one`;

const phaseOf = (object: KubeObject): string => executionView(object, new Date()).phase;

async function cancelExecution(connection: Connection, name: string, io: Io): Promise<KubeObject> {
  const execution = await getOrFail(connection, Kinds.execution, name);
  const phase = phaseOf(execution);
  if (isFinalPhase(phase)) throw new CliError(`DRPlanExecution "${name}" has already finished (phase ${phase}); there is nothing to cancel`);
  if (execution.metadata.annotations?.[Annotations.cancel] === 'true') {
    io.stdout.write(`cancel of DRPlanExecution ${connection.namespace}/${name} was already requested\n`);
    return execution;
  }
  const patch = { metadata: { annotations: { [Annotations.cancel]: 'true' } } };
  const patched = await connection.kube.mergePatch(drKey(Kinds.execution, name, connection.namespace), patch);
  io.stdout.write(`cancel requested for DRPlanExecution ${connection.namespace}/${name} (phase ${phase})\n`);
  return patched;
}

/** The plan's running execution, or why there is none. */
async function runningExecution(connection: Connection, plan: KubeObject): Promise<KubeObject> {
  const parsed = DRPlanStatusSchema.safeParse(plan.status ?? {});
  const holder = parsed.success ? parsed.data.currentExecution : undefined;
  const name = plan.metadata.name ?? '';
  const running = holder === undefined ? undefined : await connection.kube.get(drKey(Kinds.execution, holder.name, holder.namespace ?? connection.namespace));
  if (running === undefined || isFinalPhase(phaseOf(running))) throw new CliError(`DRPlan "${name}" is not running any execution; there is nothing to cancel`);
  return running;
}

async function cancelPlan(connection: Connection, planName: string, io: Io): Promise<KubeObject> {
  const plan = await getOrFail(connection, Kinds.plan, planName);
  const running = await runningExecution(connection, plan);
  const patch = { metadata: { annotations: { [Annotations.trigger]: 'cancel' } } };
  await connection.kube.mergePatch(drKey(Kinds.plan, planName, connection.namespace), patch);
  io.stdout.write(`cancel requested for DRPlan ${connection.namespace}/${planName}: it stops DRPlanExecution ${running.metadata.name ?? ''}\n`);
  return running;
}

async function run({ parsed, io, connect }: CommandContext): Promise<number> {
  const plan = last(parsed, '--plan');
  const name = parsed.positionals[0];
  if ((plan === undefined) === (name === undefined)) throw new CliError('name an execution or give --plan <plan>, not both\n\n' + USAGE, ExitCode.usage);
  const connection = await connect();
  const target = plan === undefined ? await cancelExecution(connection, name ?? '', io) : await cancelPlan(connection, plan, io);
  if (!parsed.switches.has('--wait')) return ExitCode.ok;
  const final = await watchExecution(connection, target, io, 'text');
  const phase = final === undefined ? 'deleted' : phaseOf(final);
  if (phase === 'Cancelled') return ExitCode.ok;
  io.stderr.write(`drplan cancel: DRPlanExecution ${target.metadata.name ?? ''} ended ${phase}, not Cancelled\n`);
  return ExitCode.failed;
}

export const cancel = kubeCommand({
  name: 'cancel',
  summary: "stop a running execution (by name, or --plan for the plan's running one)",
  usage: USAGE,
  flags: { values: ['--plan'], switches: ['--wait'] },
  positionals: [0, 1],
  run,
});
