/**
 * DRPlan validation: the schema, the stage graph (names, dependsOn, cycles), the referenced workflows
 * (exist, are not Invalid) and the parameters each of them runs with. Pure: the workflows come from
 * the `lookup` the caller passes (the API server in a function, the linted files in the CLI).
 */
import { DRPlanSchema, Kinds, type DRPlan, type DRWorkflow, type Stage, type WorkflowReference } from '../api/index.js';
import { findCycle } from './dag.js';
import { withDefaults } from './defaults.js';
import { resolveParams } from './params.js';
import { problem, type Problem } from './problems.js';
import { LIMITS } from '../api/common.js';
import { mayUse, notSharedMessage } from '../cross-namespace.js';
import { collectPlaceholders } from './templates.js';
import { duplicateNames, parameterListProblems, parseWithProblems, sortByPath, typeMetaProblems } from './validate.js';

export interface WorkflowRefKey {
  name: string;
  namespace: string;
}

/** What the caller knows about a referenced workflow; `undefined` when it does not exist. */
export interface WorkflowLookupResult {
  workflow?: DRWorkflow;
  phase?: 'Ready' | 'Invalid';
  problems?: Problem[];
}

export type WorkflowLookup = (ref: WorkflowRefKey) => WorkflowLookupResult | undefined;

export interface PlanValidation {
  /** The parsed plan with every default applied, whenever the schema accepts it. */
  plan?: DRPlan;
  problems: Problem[];
}

/** Names, dependsOn targets and the dependency cycle (shown as its path). */
function stageProblems(stages: readonly Stage[]): Problem[] {
  const problems = duplicateNames(stages, 'spec.stages', 'stage');
  const known = new Set(stages.map(({ name }) => name));
  stages.forEach((stage, index) => {
    (stage.dependsOn ?? []).forEach((dependency, k) => {
      const path = `spec.stages[${index}].dependsOn[${k}]`;
      if (dependency === stage.name) problems.push(problem(path, 'a stage cannot depend on itself'));
      else if (!known.has(dependency)) problems.push(problem(path, `no stage named "${dependency}" in this plan`));
    });
  });
  const graph = stages.map(({ name, dependsOn }) => ({ name, dependsOn: (dependsOn ?? []).filter((d) => d !== name) }));
  const cycle = findCycle(graph);
  if (cycle !== undefined) {
    const start = stages.findIndex(({ name }) => name === cycle[0]);
    problems.push(problem(`spec.stages[${start}].dependsOn`, `dependency cycle: ${cycle.join(' → ')}`));
  }
  return problems;
}

interface RefContext {
  plan: DRPlan;
  stage: Stage;
  ref: WorkflowReference;
  path: string;
}

const refLabel = ({ ref, plan }: RefContext): string =>
  `DRWorkflow ${ref.workflowRef.namespace ?? plan.metadata.namespace ?? 'default'}/${ref.workflowRef.name}`;

function invalidWorkflowProblem(context: RefContext, problems: readonly Problem[]): Problem {
  const [first] = problems;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  const reason = first === undefined ? '' : `: ${first.path === '' ? '' : `${first.path}: `}${first.message}${more}`;
  return problem(`${context.path}.workflowRef`, `${refLabel(context)} is Invalid${reason}`);
}

/** Every `{{ .params.x }}` of the workflow's actions gets a value from some level. */
function placeholderProblems(context: RefContext, workflow: DRWorkflow, values: Readonly<Record<string, string>>): Problem[] {
  // A required parameter without a value is already reported as such.
  const reported = new Set((workflow.spec.parameters ?? []).filter((param) => param.required === true).map(({ name }) => name));
  const problems: Problem[] = [];
  for (const { path, placeholder } of collectPlaceholders(workflow.spec.actions, 'spec.actions')) {
    if (placeholder.kind !== 'param' || Object.hasOwn(values, placeholder.name) || reported.has(placeholder.name)) continue;
    reported.add(placeholder.name);
    problems.push(
      problem(
        context.path,
        `stage "${context.stage.name}", ${refLabel(context)}: ${path} uses parameter "${placeholder.name}", which gets no value ` +
          "(declare a default in the workflow, or set it in globalParams or the stage's params)",
      ),
    );
  }
  return problems;
}

/** Parameters of one reference: required ones have a value, values match the declared types, placeholders resolve. */
function refParameterProblems(context: RefContext, workflow: DRWorkflow): Problem[] {
  const resolved = resolveParams({ workflow: workflow.spec, plan: context.plan.spec, ref: context.ref, refPath: context.path });
  const problems = resolved.problems.map((found) =>
    found.path.startsWith(context.path) ? found : problem(found.path, `${found.message} (as ${refLabel(context)} declares it)`),
  );
  return [...problems, ...placeholderProblems(context, workflow, resolved.values)];
}

/** Nothing more is said of another namespace's workflow that does not share itself: not even whether it is valid. */
function consentProblem(context: RefContext, namespace: string, found: WorkflowLookupResult): Problem | undefined {
  const planNamespace = context.plan.metadata.namespace ?? 'default';
  if (namespace === planNamespace || (found.workflow !== undefined && mayUse(found.workflow, planNamespace))) return undefined;
  return problem(`${context.path}.workflowRef`, notSharedMessage(refLabel(context), planNamespace));
}

/** Problems found by looking the workflow up: not found, not shared with the plan's namespace, Invalid, or its parameters. */
function resolvedRefProblems(context: RefContext, lookup: WorkflowLookup): Problem[] {
  const { ref, path } = context;
  const namespace = ref.workflowRef.namespace ?? context.plan.metadata.namespace ?? 'default';
  const found = lookup({ name: ref.workflowRef.name, namespace });
  if (found === undefined) return [problem(`${path}.workflowRef`, `${refLabel(context)} not found`)];
  const unshared = consentProblem(context, namespace, found);
  if (unshared !== undefined) return [unshared];
  if (found.workflow === undefined || found.phase === 'Invalid') return [invalidWorkflowProblem(context, found.problems ?? [])];
  return refParameterProblems(context, found.workflow);
}

/**
 * Own-list problems first. A resolved problem is dropped when a problem already sits at its path
 * (resolution re-checks a plan entry's own type) or when it repeats (a globalParams entry is checked
 * again for every workflow that uses it).
 */
function merge(own: readonly Problem[], resolved: readonly Problem[]): Problem[] {
  const ownPaths = new Set(own.map(({ path }) => path));
  const seen = new Set<string>();
  const out = [...own];
  for (const found of resolved) {
    const key = `${found.path}\u0000${found.message}`;
    if (ownPaths.has(found.path) || seen.has(key)) continue;
    seen.add(key);
    out.push(found);
  }
  return out;
}

function workflowRefProblems(plan: DRPlan, lookup: WorkflowLookup): Problem[] {
  const own = parameterListProblems(plan.spec.globalParams, 'spec.globalParams');
  const resolved: Problem[] = [];
  plan.spec.stages.forEach((stage, s) => {
    stage.workflows.forEach((ref, w) => {
      const path = `spec.stages[${s}].workflows[${w}]`;
      own.push(...parameterListProblems(ref.params, `${path}.params`));
      resolved.push(...resolvedRefProblems({ plan, stage, ref, path }, lookup));
    });
  });
  return merge(own, resolved);
}

/** Validates a DRPlan (any input, e.g. straight from YAML) against the workflows `lookup` knows; never throws. */
export function validatePlan(obj: unknown, lookup: WorkflowLookup): PlanValidation {
  const parsed = parseWithProblems(DRPlanSchema, obj);
  const problems = [...typeMetaProblems(obj, Kinds.plan), ...parsed.problems];
  if (parsed.value === undefined) return { problems: sortByPath(problems) };
  const plan = withDefaults(parsed.value);
  const once = lookupOnce(lookup);
  problems.push(...stageProblems(plan.spec.stages), ...workflowRefProblems(plan, once), ...sizeProblems(plan, once));
  return { plan, problems: sortByPath(problems) };
}

/** `lookup`, asked at most once per workflow. */
function lookupOnce(lookup: WorkflowLookup): WorkflowLookup {
  const seen = new Map<string, WorkflowLookupResult | undefined>();
  return (ref) => {
    const key = `${ref.namespace}/${ref.name}`;
    if (!seen.has(key)) seen.set(key, lookup(ref));
    return seen.get(key);
  };
}

/** The plan's actions, counted over the workflows it can see: an execution's status holds each of them. */
function sizeProblems(plan: DRPlan, lookup: WorkflowLookup): Problem[] {
  let actions = 0;
  for (const stage of plan.spec.stages) {
    for (const ref of stage.workflows) {
      const namespace = ref.workflowRef.namespace ?? plan.metadata.namespace ?? 'default';
      actions += lookup({ name: ref.workflowRef.name, namespace })?.workflow?.spec.actions.length ?? 0;
    }
  }
  if (actions <= LIMITS.actionsPerPlan) return [];
  return [problem('spec.stages', `the plan runs ${actions} actions; at most ${LIMITS.actionsPerPlan} fit in one execution's status (split the plan)`)];
}
