/**
 * Freezing what an execution runs: the plan, with every workflow's actions rendered with that
 * workflow's resolved parameters. The result goes into `status.resolved` when the execution starts, so
 * editing a DRWorkflow or DRPlan afterwards never changes a running execution or how it is reverted.
 */
import { z } from 'zod';
import type {
  Action,
  DRPlan,
  DRPlanExecution,
  DRWorkflow,
  ResolvedPlan,
  ResolvedStage,
  ResolvedWorkflow,
  RollbackAction,
  Stage,
  WorkflowReference,
} from '../api/index.js';
import { ActionSchema } from '../api/index.js';
import { stageFailurePolicy, withDefaults } from './defaults.js';
import { resolveParams } from './params.js';
import type { Problem } from './problems.js';
import { formatPath, problem } from './problems.js';
import type { TemplateContext } from './templates.js';
import { collectPlaceholders, collectUnsupportedReferences, lookup, renderManifest, renderValue } from './templates.js';
import { isRecord } from '../type-utils.js';

export interface WorkflowLookup {
  (ref: { name: string; namespace: string }): DRWorkflow | undefined;
}

export interface FreezeInput {
  plan: DRPlan;
  execution: DRPlanExecution;
  workflows: WorkflowLookup;
}

interface Freezer {
  plan: DRPlan;
  execution: DRPlanExecution;
  workflows: WorkflowLookup;
  builtins: Record<string, string>;
  problems: Problem[];
}

/** Zod issues as problems, or one problem carrying the error's message; `what` prefixes each message. */
function problemsOf(error: unknown, path: string, what = ''): Problem[] {
  const prefix = what === '' ? '' : `${what}: `;
  if (error instanceof z.ZodError) {
    return error.issues.map((issue) => problem(formatPath(issue.path, path), prefix + issue.message));
  }
  return [problem(path, prefix + (error instanceof Error ? error.message : String(error)))];
}

function builtinsOf(plan: DRPlan, execution: DRPlanExecution): Record<string, string> {
  const namespace = plan.metadata.namespace ?? 'default';
  const entries: Array<[string, string | undefined]> = [
    ['planName', plan.metadata.name],
    ['planNamespace', namespace],
    ['namespace', namespace],
    ['executionName', execution.metadata.name],
  ];
  return Object.fromEntries(entries.filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function renderManifestAt(manifest: string, template: TemplateContext, path: string, problems: Problem[]): string {
  try {
    return renderManifest(manifest, template).manifest;
  } catch (error: unknown) {
    problems.push(...problemsOf(error, path, 'cannot render'));
    return manifest;
  }
}

/** Every string rendered; `resource.manifest` (here and in nested rollbacks) rendered as YAML. */
function renderTree(action: Action | RollbackAction, template: TemplateContext, path: string, problems: Problem[]): unknown {
  const out = renderValue(action, template).value;
  if (!isRecord(out)) return out;
  if (action.resource !== undefined && isRecord(out.resource)) {
    out.resource = { ...out.resource, manifest: renderManifestAt(action.resource.manifest, template, `${path}.resource.manifest`, problems) };
  }
  if (action.rollback !== undefined) out.rollback = renderTree(action.rollback, template, `${path}.rollback`, problems);
  return out;
}

/**
 * Unknown names and unsupported look-alike expressions anywhere in the action, with their field paths.
 * A manifest is scanned as text, so a placeholder in a YAML comment counts too (as the validators see it).
 */
function templateProblems(action: Action, template: TemplateContext, path: string): Problem[] {
  const unknown = collectPlaceholders(action, path)
    .filter(({ placeholder }) => lookup(placeholder, template) === undefined)
    .map(({ path: at, placeholder }) => problem(at, `unknown ${placeholder.kind === 'param' ? 'parameter' : 'built-in'} ${JSON.stringify(placeholder.name)}`));
  const unsupported = collectUnsupportedReferences(action, path).map(({ path: at, raw }) =>
    problem(at, `${JSON.stringify(raw)} is not substituted: write {{ .params.name }} or $(params.name)`),
  );
  return [...unknown, ...unsupported];
}

/** The rendered action; when it no longer fits the action schema, the problems and the action as written. */
export function renderAction(action: Action, template: TemplateContext, path: string, problems: Problem[]): Action {
  problems.push(...templateProblems(action, template, path));
  const parsed = ActionSchema.safeParse(renderTree(action, template, path, problems));
  if (parsed.success) return parsed.data;
  problems.push(...problemsOf(parsed.error, path, 'after rendering'));
  return action;
}

function findWorkflow(ref: { name: string; namespace: string }, refPath: string, freezer: Freezer): DRWorkflow | undefined {
  const found = freezer.workflows(ref);
  if (found === undefined) {
    freezer.problems.push(problem(`${refPath}.workflowRef`, `workflow ${ref.namespace}/${ref.name} not found`));
    return undefined;
  }
  try {
    return withDefaults(found);
  } catch (error: unknown) {
    const details = problemsOf(error, 'spec').map((item) => `${item.path}: ${item.message}`);
    freezer.problems.push(problem(`${refPath}.workflowRef`, `workflow ${ref.namespace}/${ref.name} is invalid (${details.join('; ')})`));
    return undefined;
  }
}

function freezeWorkflow(ref: WorkflowReference, refPath: string, freezer: Freezer): ResolvedWorkflow {
  const workflowRef = { name: ref.workflowRef.name, namespace: ref.workflowRef.namespace ?? freezer.builtins.planNamespace ?? 'default' };
  const workflow = findWorkflow(workflowRef, refPath, freezer);
  if (workflow === undefined) return { workflowRef, failurePolicy: 'FailFast', actions: [] };
  const execution = freezer.execution.spec.params;
  const params = resolveParams({ workflow: workflow.spec, plan: freezer.plan.spec, ref, execution, refPath });
  freezer.problems.push(...params.problems);
  const template: TemplateContext = { params: params.values, builtins: freezer.builtins, types: params.types };
  const where = `${refPath.replace(/^spec\./, '')} (${workflowRef.name}): spec.actions`;
  const actions = workflow.spec.actions.map((action, index) => renderAction(action, template, `${where}[${index}]`, freezer.problems));
  return { workflowRef, failurePolicy: workflow.spec.failurePolicy, params: params.values, actions };
}

function freezeStage(stage: Stage, index: number, freezer: Freezer): ResolvedStage {
  return {
    name: stage.name,
    ...(stage.dependsOn === undefined ? {} : { dependsOn: [...stage.dependsOn] }),
    parallel: stage.parallel,
    failurePolicy: stageFailurePolicy(stage, freezer.plan.spec),
    workflows: stage.workflows.map((ref, w) => freezeWorkflow(ref, `spec.stages[${index}].workflows[${w}]`, freezer)),
  };
}

function unique(problems: readonly Problem[]): Problem[] {
  const seen = new Map<string, Problem>();
  for (const item of problems) seen.set(`${item.path}\u0000${item.message}`, item);
  return [...seen.values()];
}

/**
 * The plan with every workflow's actions rendered (including nested `rollback` actions). Built-ins:
 * `planName`, `planNamespace` and `namespace` (the plan's namespace), `executionName`.
 *
 * Problem paths: parameter problems name the plan or execution field (`spec.stages[0].workflows[1]
 * .params[0].value`, `spec.params[0].value`); template problems name the workflow and the action field,
 * `stages[0].workflows[1] (wf-name): spec.actions[2].http.url`. With problems, `resolved` is incomplete
 * and must not be run: a workflow that cannot be read has no actions, an action that cannot be rendered
 * is kept as written.
 */
export function freezePlan(input: FreezeInput): { resolved: ResolvedPlan; problems: Problem[] } {
  let plan: DRPlan;
  try {
    plan = withDefaults(input.plan);
  } catch (error: unknown) {
    return { resolved: { failurePolicy: 'Stop', stages: [] }, problems: problemsOf(error, 'spec', 'the plan is invalid') };
  }
  const freezer: Freezer = { ...input, plan, builtins: builtinsOf(plan, input.execution), problems: [] };
  const stages = plan.spec.stages.map((stage, index) => freezeStage(stage, index, freezer));
  const generation = plan.metadata.generation;
  const serviceAccountName = input.execution.spec.serviceAccountName ?? plan.spec.serviceAccountName;
  const resolved: ResolvedPlan = {
    ...(generation === undefined ? {} : { planGeneration: generation }),
    failurePolicy: plan.spec.failurePolicy,
    stages,
    ...(serviceAccountName === undefined ? {} : { serviceAccountName }),
    ...(plan.spec.objectives === undefined ? {} : { objectives: plan.spec.objectives }),
  };
  return { resolved, problems: unique(freezer.problems) };
}
