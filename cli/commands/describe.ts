/**
 * `drplan describe <plan>`: the plan as it would run now — its settings, each stage's workflows with
 * their resolved parameters and rendered actions (and what a revert does for each), and the validation
 * problems, found with the same validators validate-plan runs.
 */
import { DRPlanStatusSchema, Kinds, type DRPlan, type DRPlanExecution, type DRWorkflow, type WorkflowReference } from '../../shared/api/index.js';
import { resolveParams } from '../../shared/engine/params.js';
import { freezePlan } from '../../shared/engine/render.js';
import { validatePlan, type WorkflowLookupResult } from '../../shared/engine/validate-plan.js';
import { validateWorkflow } from '../../shared/engine/validate-workflow.js';
import type { KubeObject } from '../../shared/kube/types.js';
import { planWorkflowRefs } from '../../shared/plan-references.js';
import { namespacedName } from '../../shared/keys.js';
import { ExitCode } from '../io.js';
import { CliError, drKey, getOrFail, kubeCommand, type CommandContext, type Connection } from '../kube.js';
import { renderDescription, type DescribedStage, type DescribedWorkflow, type PlanDescription } from '../render/plan-description.js';

const USAGE = `Usage: drplan describe <plan> [-n NAMESPACE] [--kubeconfig FILE] [--context NAME]

Shows a DRPlan as it would run now: its settings and phase, the execution it is running, then each
stage with its workflows, their resolved parameters (and which level each value comes from:
workflow default < plan globalParams < stage params; an execution's --param overrides them all) and
their actions with the templates filled in, timeouts, retries and what a revert does for each.
Ends with the validation problems, if any (the same checks validate-plan makes).

  -n, --namespace    the namespace (default: the kubeconfig context's, else "default")
  --kubeconfig FILE  the kubeconfig (default: $KUBECONFIG, else ~/.kube/config)
  --context NAME     a context of the kubeconfig other than its current one`;

type Workflows = ReadonlyMap<string, WorkflowLookupResult>;

async function readWorkflows(connection: Connection, plan: KubeObject): Promise<Workflows> {
  const found = new Map<string, WorkflowLookupResult>();
  for (const ref of planWorkflowRefs(plan)) {
    const object = await connection.kube.get(drKey(Kinds.workflow, ref.name, ref.namespace));
    if (object === undefined) continue;
    const { workflow, problems } = validateWorkflow({ ...object, status: undefined });
    found.set(namespacedName(ref), { ...(workflow === undefined ? {} : { workflow }), phase: problems.length > 0 ? 'Invalid' : 'Ready', problems });
  }
  return found;
}

function phaseText(plan: KubeObject): string {
  const parsed = DRPlanStatusSchema.safeParse(plan.status ?? {});
  const status = parsed.success ? parsed.data : {};
  if (status.phase === undefined) return 'not validated yet';
  const stale = status.observedGeneration !== undefined && status.observedGeneration !== plan.metadata.generation;
  return `${status.phase}${stale ? ` (validated at generation ${status.observedGeneration ?? '?'}; the plan has changed since)` : ''}`;
}

/** The actions of every workflow rendered as an execution would freeze them (`<execution>` for its name). */
function rendered(plan: DRPlan, workflows: Workflows): ReturnType<typeof freezePlan>['resolved'] {
  const execution: DRPlanExecution = {
    metadata: { name: '<execution>', namespace: plan.metadata.namespace ?? 'default' },
    spec: { planRef: plan.metadata.name ?? '', operationType: 'Execute' },
  };
  const lookup = (ref: { name: string; namespace: string }): DRWorkflow | undefined => workflows.get(namespacedName(ref))?.workflow;
  return freezePlan({ plan, execution, workflows: lookup }).resolved;
}

interface StageContext {
  plan: DRPlan;
  workflows: Workflows;
  frozen: ReturnType<typeof freezePlan>['resolved'];
}

const stateOf = (found: WorkflowLookupResult | undefined): string => (found === undefined ? 'not found' : (found.phase ?? 'Ready'));

function describeWorkflow(context: StageContext, ref: WorkflowReference, position: { s: number; w: number }): DescribedWorkflow {
  const { plan, workflows, frozen } = context;
  const label = namespacedName({ name: ref.workflowRef.name, namespace: ref.workflowRef.namespace ?? plan.metadata.namespace ?? 'default' });
  const found = workflows.get(label);
  const workflow = found?.workflow;
  if (workflow === undefined) return { ref, label, state: stateOf(found), params: {}, actions: [] };
  const refPath = `spec.stages[${position.s}].workflows[${position.w}]`;
  const params = resolveParams({ workflow: workflow.spec, plan: plan.spec, ref, refPath }).values;
  const actions = frozen.stages?.[position.s]?.workflows[position.w]?.actions ?? workflow.spec.actions;
  return { ref, label, state: stateOf(found), workflow, params, actions };
}

function describeStages(plan: DRPlan, workflows: Workflows): DescribedStage[] {
  const context: StageContext = { plan, workflows, frozen: rendered(plan, workflows) };
  return plan.spec.stages.map((stage, s) => ({
    name: stage.name,
    description: stage.description,
    parallel: stage.parallel,
    dependsOn: stage.dependsOn ?? [],
    failurePolicy: stage.failurePolicy ?? plan.spec.failurePolicy,
    workflows: stage.workflows.map((ref, w) => describeWorkflow(context, ref, { s, w })),
  }));
}

async function runningText(connection: Connection, plan: DRPlan): Promise<string | undefined> {
  const holder = plan.status?.currentExecution;
  if (holder === undefined) return undefined;
  const object = await connection.kube.get(drKey(Kinds.execution, holder.name, holder.namespace ?? connection.namespace));
  const phase = (object?.status as { phase?: unknown } | undefined)?.phase;
  return `${holder.name}${typeof phase === 'string' ? ` (${phase})` : ''}`;
}

async function run({ parsed, io, connect }: CommandContext): Promise<number> {
  const name = parsed.positionals[0] ?? '';
  const connection = await connect();
  const object = await getOrFail(connection, Kinds.plan, name);
  const workflows = await readWorkflows(connection, object);
  const validation = validatePlan({ ...object, status: undefined }, (ref) => workflows.get(namespacedName(ref)));
  if (validation.plan === undefined) {
    const lines = validation.problems.map(({ path, message }) => `  ${path}: ${message}`);
    throw new CliError(`DRPlan "${name}" cannot be read:\n${lines.join('\n')}`);
  }
  const plan: DRPlan = { ...validation.plan, status: DRPlanStatusSchema.safeParse(object.status ?? {}).data };
  const description: PlanDescription = {
    plan,
    phase: phaseText(object),
    running: await runningText(connection, plan),
    stages: describeStages(plan, workflows),
    problems: validation.problems,
  };
  io.stdout.write(renderDescription(description));
  return ExitCode.ok;
}

export const describe = kubeCommand({
  name: 'describe',
  summary: 'show a plan with its resolved parameters, rendered actions and problems',
  usage: USAGE,
  flags: {},
  positionals: [1, 1],
  run,
});
