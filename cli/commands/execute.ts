/**
 * `drplan execute <plan> [--param k=v …] [--wait]`: creates a DRPlanExecution (Execute) with a readable
 * name, after checking what would make it fail at once — the plan is unknown, not Ready, already
 * running an execution, or a `--param` no workflow uses or of the wrong type.
 */
import {
  API_VERSION,
  DRPlanSchema,
  DRPlanStatusSchema,
  Kinds,
  Labels,
  type DRPlanExecution,
  type DRWorkflow,
  type ExecutionParam,
  type OperationType,
} from '../../shared/api/index.js';
import { findCondition } from '../../shared/conditions.js';
import { withDefaults } from '../../shared/engine/defaults.js';
import { executionPlanProblems } from '../../shared/engine/validate.js';
import { validateWorkflow } from '../../shared/engine/validate-workflow.js';
import { ownershipLabels } from '../../shared/execution/ownership.js';
import { toLoaded } from '../../shared/execution/objects.js';
import { KubeApiError } from '../../shared/kube/api-error.js';
import type { KubeObject } from '../../shared/kube/types.js';
import { planWorkflowRefs } from '../../shared/plan-references.js';
import { ExitCode, type Io } from '../io.js';
import { CliError, drKey, getOrFail, kubeCommand, type CommandContext, type Connection } from '../kube.js';
import { executionView, isFinalPhase } from '../render/execution-view.js';
import { waitOutcome, watchExecution } from './status.js';

const USAGE = `Usage: drplan execute <plan> [--param NAME=VALUE]... [--dry-run] [--wait] [--name NAME] [-n NAMESPACE] [--kubeconfig FILE] [--context NAME]

Runs a DRPlan: creates a DRPlanExecution (operationType Execute) named <plan>-<yyyymmdd-hhmmss> (UTC),
labelled drplan=<plan>. Refuses, without creating anything, when the plan does not exist, is Invalid
(its problems are listed), is already running an execution (named), or a --param is not used by any
of its workflows or does not match the declared type.

  --param NAME=VALUE  a parameter for this execution only; it overrides every other source
                      (workflow default < plan globalParams < stage params < --param). Repeatable
  --dry-run           rehearse without effect (spec.dryRun): Kubernetes actions as server-side dry runs
                      with the plan's rights, HTTP actions only as their http.dryRun request; no plan
                      lock (it runs beside a running execution), nothing created, named <plan>-dryrun-…
  --wait              follow the execution to the end (live tree on a terminal, one line per
                      transition when piped); exit 0 only if it Succeeded
  --name NAME         the execution's name instead of the generated one
  -n, --namespace     the plan's namespace (default: the kubeconfig context's, else "default")
  --kubeconfig FILE   the kubeconfig (default: $KUBECONFIG, else ~/.kube/config)
  --context NAME      a context of the kubeconfig other than its current one

Exit status: 0 created (with --wait: Succeeded), 1 refused or did not succeed, 2 usage error.`;

/** `yyyymmdd-hhmmss` in UTC. */
export function timestamp(at: Date): string {
  const iso = at.toISOString();
  return `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
}

/** `<plan>-[<infix>-]<yyyymmdd-hhmmss>`, the plan part shortened to fit the 253 characters of a name. */
export function executionName(plan: string, at: Date, infix?: string): string {
  const suffix = infix === undefined ? timestamp(at) : `${infix}-${timestamp(at)}`;
  return `${plan.slice(0, 253 - suffix.length - 1).replace(/[-.]+$/, '')}-${suffix}`.replace(/^-/, '');
}

function splitProblems(message: string): string[] {
  return message.split('; ').filter((entry) => entry !== '');
}

/** Refuses a plan whose current validation says Invalid (a verdict about an older generation does not count). */
export function ensureReady(plan: KubeObject): void {
  const parsed = DRPlanStatusSchema.safeParse(plan.status ?? {});
  if (!parsed.success || parsed.data.phase !== 'Invalid') return;
  const observed = parsed.data.observedGeneration;
  if (observed !== undefined && observed !== plan.metadata.generation) return;
  const message = findCondition(parsed.data.conditions, 'Ready')?.message ?? 'see its Ready condition';
  const name = plan.metadata.name ?? '';
  const lines = splitProblems(message).map((entry) => `  ${entry}`);
  throw new CliError(`DRPlan "${name}" is not Ready (phase Invalid):\n${lines.join('\n')}\nFix the plan (drplan describe ${name} shows it) and run again.`);
}

/** The execution that holds the plan, if it has not finished: the lock, else one not yet started by plan-stages. */
async function unfinishedExecution(connection: Connection, plan: KubeObject): Promise<{ name: string; phase: string } | undefined> {
  const parsed = DRPlanStatusSchema.safeParse(plan.status ?? {});
  const holder = parsed.success ? parsed.data.currentExecution : undefined;
  const locked = holder === undefined ? undefined : await connection.kube.get(drKey(Kinds.execution, holder.name, holder.namespace ?? connection.namespace));
  // An execution created a moment ago holds no lock yet; its label (set by this CLI) still finds it.
  const labelled = await connection.kube.list(API_VERSION, Kinds.execution, {
    namespace: connection.namespace,
    labelSelector: `${Labels.planShort}=${plan.metadata.name ?? ''}`,
  });
  const now = new Date();
  for (const candidate of [...(locked === undefined ? [] : [locked]), ...labelled]) {
    const phase = executionView(candidate, now).phase;
    if (!isFinalPhase(phase)) return { name: candidate.metadata.name ?? '', phase };
  }
  return undefined;
}

/** Refuses while the plan has an execution that has not finished (one at a time per plan). */
export async function ensureNotRunning(connection: Connection, plan: KubeObject): Promise<void> {
  const running = await unfinishedExecution(connection, plan);
  if (running === undefined) return;
  const name = plan.metadata.name ?? '';
  throw new CliError(
    `DRPlan "${name}" is already running DRPlanExecution "${running.name}" (phase ${running.phase}); ` +
      `follow it with: drplan status ${running.name} --watch, or stop it with: drplan cancel ${running.name}`,
  );
}

function parseParams(values: readonly string[]): ExecutionParam[] {
  return values.map((entry) => {
    const index = entry.indexOf('=');
    if (index <= 0) throw new CliError(`--param expects NAME=VALUE, not "${entry}"`, ExitCode.usage);
    return { name: entry.slice(0, index), value: entry.slice(index + 1) };
  });
}

/** `--param` problems found before anything is created: unused names and values of the wrong type. */
async function checkParams(connection: Connection, plan: KubeObject, execution: DRPlanExecution): Promise<void> {
  if ((execution.spec.params ?? []).length === 0) return;
  const parsedPlan = DRPlanSchema.safeParse(plan);
  if (!parsedPlan.success) return;
  const workflows: DRWorkflow[] = [];
  for (const ref of planWorkflowRefs(plan)) {
    const object = await connection.kube.get(drKey(Kinds.workflow, ref.name, ref.namespace));
    const workflow = object === undefined ? undefined : validateWorkflow(object).workflow;
    if (workflow === undefined) return;
    workflows.push(workflow);
  }
  const problems = executionPlanProblems(execution, withDefaults(parsedPlan.data), workflows);
  if (problems.length === 0) return;
  const params = execution.spec.params ?? [];
  const lines = problems.map(({ path, message }) => {
    const param = params[Number(/^spec\.params\[(\d+)\]/.exec(path)?.[1] ?? -1)];
    return `  ${param === undefined ? path : `--param ${param.name}=${param.value}`}: ${message}`;
  });
  throw new CliError(`the parameters do not fit DRPlan "${plan.metadata.name ?? ''}":\n${lines.join('\n')}`, ExitCode.usage);
}

export interface NewExecution {
  name: string;
  plan: string;
  operationType: OperationType;
  revertExecutionRef?: string | undefined;
  params?: ExecutionParam[] | undefined;
  dryRun?: boolean | undefined;
  retryOf?: string | undefined;
  skip?: { action: string; reason: string }[] | undefined;
}

export function executionObject(connection: Connection, wanted: NewExecution): KubeObject {
  const spec: Record<string, unknown> = { planRef: wanted.plan, operationType: wanted.operationType };
  if (wanted.revertExecutionRef !== undefined) spec.revertExecutionRef = wanted.revertExecutionRef;
  if (wanted.params !== undefined && wanted.params.length > 0) spec.params = wanted.params;
  if (wanted.dryRun === true) spec.dryRun = true;
  if (wanted.retryOf !== undefined) spec.retryOf = wanted.retryOf;
  if (wanted.skip !== undefined && wanted.skip.length > 0) spec.skip = wanted.skip;
  const object: KubeObject = { apiVersion: API_VERSION, kind: Kinds.execution, metadata: { name: wanted.name, namespace: connection.namespace }, spec };
  object.metadata.labels = ownershipLabels(toLoaded(object));
  return object;
}

/** Creates the execution; a name taken in the same second gets a random suffix from the API server. */
export async function createExecution(connection: Connection, object: KubeObject): Promise<KubeObject> {
  try {
    return await connection.kube.create(object);
  } catch (error: unknown) {
    if (!(error instanceof KubeApiError) || error.reason !== 'AlreadyExists') throw error;
    const { name, ...metadata } = object.metadata;
    return connection.kube.create({ ...object, metadata: { ...metadata, generateName: `${name ?? ''}-` } });
  }
}

/** Prints what was created; with `--wait` follows it and answers with its outcome. */
export async function announceAndWait(command: string, connection: Connection, created: KubeObject, context: { io: Io; wait: boolean }): Promise<number> {
  const { io } = context;
  const name = created.metadata.name ?? '';
  const spec = created.spec as { operationType?: string; planRef?: string };
  io.stdout.write(`DRPlanExecution ${connection.namespace}/${name} created (${spec.operationType ?? ''} of DRPlan ${spec.planRef ?? ''})\n`);
  if (!context.wait) {
    io.stdout.write(`Follow it with: drplan status ${name} --watch${connection.namespace === 'default' ? '' : ` -n ${connection.namespace}`}\n`);
    return ExitCode.ok;
  }
  return waitOutcome(command, await watchExecution(connection, created, io, 'text'), io);
}

async function run({ parsed, io, connect }: CommandContext): Promise<number> {
  const params = parseParams(parsed.values.get('--param') ?? []);
  const planName = parsed.positionals[0] ?? '';
  const connection = await connect();
  const plan = await getOrFail(connection, Kinds.plan, planName);
  ensureReady(plan);
  const dryRun = parsed.switches.has('--dry-run');
  if (!dryRun) await ensureNotRunning(connection, plan);
  const name = parsed.values.get('--name')?.at(-1) ?? executionName(planName, new Date(), dryRun ? 'dryrun' : undefined);
  const object = executionObject(connection, { name, plan: planName, operationType: 'Execute', params, dryRun });
  const parsedExecution = toLoaded(object).execution;
  await checkParams(connection, plan, parsedExecution);
  const created = await createExecution(connection, object);
  return announceAndWait('execute', connection, created, { io, wait: parsed.switches.has('--wait') });
}

export const execute = kubeCommand({
  name: 'execute',
  summary: 'run a plan: create a DRPlanExecution (--wait: follow it to the end)',
  usage: USAGE,
  flags: { values: ['--param', '--name'], switches: ['--wait', '--dry-run'] },
  positionals: [1, 1],
  run,
});
