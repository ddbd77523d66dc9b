/**
 * `drplan lint <files or folders...>`: validates DRWorkflow, DRPlan and DRPlanExecution manifests
 * offline, with the same validators the functions run, plus the checks across the set: a plan against
 * the workflows in the set, an execution against its plan and that plan's workflows.
 */
import { GROUP, Kinds, type DRPlan, type DRPlanExecution, type DRWorkflow } from '../../shared/api/index.js';
import { problem, type Problem } from '../../shared/engine/problems.js';
import { executionPlanProblems, validateExecution } from '../../shared/engine/validate.js';
import { validatePlan, type WorkflowLookupResult } from '../../shared/engine/validate-plan.js';
import { validateWorkflow } from '../../shared/engine/validate-workflow.js';
import { ExitCode, type Command, type Io } from '../io.js';
import { readManifests, type ManifestDocument } from '../manifests.js';
import { isRecord } from '../../shared/type-utils.js';
import type { Kind } from '../../shared/api/constants.js';
import { ruleProblems } from '../../shared/cel/crd-rules.js';

const USAGE = `Usage: drplan lint <file or folder>...

Checks DRWorkflow, DRPlan and DRPlanExecution manifests without a cluster: the schema, the rules the
validate-workflow and validate-plan functions apply, and the references between the objects given
(a plan's workflows must be among them; an execution is checked against its plan when it is there).

Reads .yaml, .yml and .json files (folders recursively), multi-document YAML and kind: List.
Objects of other kinds are ignored.

Output: one line per problem, "file: Kind/name: path: message"; warnings start with "warning: ".
Exit status: 0 valid (warnings allowed), 1 problems found, 2 usage error or unreadable input.`;

const DR_KINDS: readonly string[] = Object.values(Kinds);

interface Entry {
  file: string;
  /** Position in the file, from 0. */
  index: number;
  kind: string | undefined;
  name: string | undefined;
  namespace: string;
  object: Record<string, unknown>;
  problems: Problem[];
  warnings: Problem[];
}

const stringField = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** A document of the DR API: its group, or one of its kinds. */
function isDrDocument(object: unknown): object is Record<string, unknown> {
  if (!isRecord(object)) return false;
  const { apiVersion, kind } = object;
  return (typeof apiVersion === 'string' && apiVersion.startsWith(`${GROUP}/`)) || (typeof kind === 'string' && DR_KINDS.includes(kind));
}

function toEntry({ file, index, object }: ManifestDocument & { object: Record<string, unknown> }): Entry {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const entry: Entry = {
    file,
    index,
    kind: stringField(object.kind),
    name: stringField(metadata.name),
    namespace: stringField(metadata.namespace) ?? 'default',
    object,
    problems: [],
    warnings: [],
  };
  if (entry.kind === undefined) entry.problems.push(problem('kind', `required (one of ${DR_KINDS.join(', ')})`));
  else if (!DR_KINDS.includes(entry.kind)) entry.problems.push(problem('kind', `must be one of ${DR_KINDS.join(', ')}, got "${entry.kind}"`));
  if (entry.name === undefined) entry.problems.push(problem('metadata.name', 'required'));
  return entry;
}

const keyOf = (kind: string, namespace: string, name: string): string => `${kind} ${namespace}/${name}`;

/** The same object twice in the set: the later one would silently replace the earlier one. */
function markDuplicates(entries: readonly Entry[]): void {
  const seen = new Map<string, Entry>();
  for (const entry of entries) {
    if (entry.kind === undefined || entry.name === undefined) continue;
    const key = keyOf(entry.kind, entry.namespace, entry.name);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, entry);
    else entry.problems.push(problem('metadata.name', `${key} is defined twice (also object ${first.index + 1} of ${first.file})`));
  }
}

/** Every object of a kind is validated; only named ones can be referred to. */
const ofKind = (entries: readonly Entry[], kind: string): Entry[] => entries.filter((entry) => entry.kind === kind);
const indexKey = (entry: Entry): string | undefined => (entry.name === undefined ? undefined : `${entry.namespace}/${entry.name}`);

function checkWorkflows(entries: readonly Entry[]): Map<string, WorkflowLookupResult> {
  const index = new Map<string, WorkflowLookupResult>();
  for (const entry of ofKind(entries, Kinds.workflow)) {
    const { workflow, problems, warnings } = validateWorkflow(entry.object);
    entry.problems.push(...problems);
    entry.warnings.push(...warnings);
    const result: WorkflowLookupResult = { phase: problems.length > 0 ? 'Invalid' : 'Ready', problems };
    if (workflow !== undefined) result.workflow = workflow;
    const key = indexKey(entry);
    if (key !== undefined && !index.has(key)) index.set(key, result);
  }
  return index;
}

/** Plans by namespace/name; `undefined` for a plan the schema rejects (its problems are its own). */
function checkPlans(entries: readonly Entry[], workflows: ReadonlyMap<string, WorkflowLookupResult>): Map<string, DRPlan | undefined> {
  const plans = new Map<string, DRPlan | undefined>();
  for (const entry of ofKind(entries, Kinds.plan)) {
    const { plan, problems } = validatePlan(entry.object, ({ name, namespace }) => workflows.get(`${namespace}/${name}`));
    entry.problems.push(...problems);
    const key = indexKey(entry);
    if (key !== undefined && !plans.has(key)) plans.set(key, plan);
  }
  return plans;
}

interface ExecutionContext {
  plans: ReadonlyMap<string, DRPlan | undefined>;
  workflows: ReadonlyMap<string, WorkflowLookupResult>;
  executions: ReadonlyMap<string, DRPlanExecution>;
}

/** The plan's workflows, when every one of them is in the set. */
function planWorkflows(plan: DRPlan, workflows: ReadonlyMap<string, WorkflowLookupResult>): DRWorkflow[] | undefined {
  const found: DRWorkflow[] = [];
  for (const { workflowRef } of plan.spec.stages.flatMap((stage) => stage.workflows)) {
    const workflow = workflows.get(`${workflowRef.namespace ?? 'default'}/${workflowRef.name}`)?.workflow;
    if (workflow === undefined) return undefined;
    found.push(workflow);
  }
  return found;
}

/**
 * The plan an execution names. When the set holds no plan of its namespace the execution is checked on
 * its own; when it holds some, the named plan must be one of them.
 */
function planProblems(execution: DRPlanExecution, namespace: string, context: ExecutionContext): Problem[] {
  const planRef = execution.spec.planRef;
  const key = `${namespace}/${planRef}`;
  if (!context.plans.has(key)) {
    const others = [...context.plans.keys()].filter((other) => other.startsWith(`${namespace}/`));
    return others.length > 0 ? [problem('spec.planRef', `DRPlan ${key} not found`)] : [];
  }
  const plan = context.plans.get(key);
  if (plan === undefined) return [];
  const workflows = planWorkflows(plan, context.workflows);
  return workflows === undefined ? [] : executionPlanProblems(execution, plan, workflows);
}

/** A Revert's target, when it is in the set: an Execute of the same plan. */
function revertTargetProblems(execution: DRPlanExecution, namespace: string, context: ExecutionContext): Problem[] {
  const { operationType, revertExecutionRef, planRef } = execution.spec;
  if (operationType !== 'Revert' || revertExecutionRef === undefined) return [];
  const target = context.executions.get(`${namespace}/${revertExecutionRef}`);
  if (target === undefined) return [];
  const label = `DRPlanExecution ${namespace}/${revertExecutionRef}`;
  if (target.spec.operationType !== 'Execute') return [problem('spec.revertExecutionRef', `${label} is a Revert; only an Execute can be reverted`)];
  if (target.spec.planRef !== planRef) {
    return [problem('spec.revertExecutionRef', `${label} ran DRPlan ${namespace}/${target.spec.planRef}, not ${namespace}/${planRef}`)];
  }
  return [];
}

function checkExecutions(
  entries: readonly Entry[],
  plans: ReadonlyMap<string, DRPlan | undefined>,
  workflows: ReadonlyMap<string, WorkflowLookupResult>,
): void {
  const parsed = new Map<Entry, DRPlanExecution>();
  const executions = new Map<string, DRPlanExecution>();
  for (const entry of ofKind(entries, Kinds.execution)) {
    const { execution, problems, warnings } = validateExecution(entry.object);
    entry.problems.push(...problems);
    entry.warnings.push(...warnings);
    if (execution === undefined) continue;
    parsed.set(entry, execution);
    const key = indexKey(entry);
    if (key !== undefined && !executions.has(key)) executions.set(key, execution);
  }
  const context: ExecutionContext = { plans, workflows, executions };
  for (const [entry, execution] of parsed) {
    entry.problems.push(...planProblems(execution, entry.namespace, context), ...revertTargetProblems(execution, entry.namespace, context));
  }
}

/** The validation rules of the CRDs (what `kubectl apply` refuses), on an object the schema accepts; what the validators said already is not repeated. */
function checkRules(entries: readonly Entry[]): void {
  for (const entry of entries) {
    const kind = DR_KINDS.find((candidate) => candidate === entry.kind) as Kind | undefined;
    if (kind === undefined) continue;
    entry.problems.push(...ruleProblems(kind, entry.object, entry.problems));
  }
}

function formatLine(entry: Entry, found: Problem): string {
  const label = `${entry.kind ?? '(no kind)'}/${entry.name ?? '(no name)'}`;
  return `${entry.file}: ${label}: ${found.path === '' ? '' : `${found.path}: `}${found.message}\n`;
}

function report(entries: readonly Entry[], io: Io): number {
  let problems = 0;
  for (const entry of entries) {
    for (const found of entry.problems) io.stdout.write(formatLine(entry, found));
    for (const found of entry.warnings) io.stdout.write(`warning: ${formatLine(entry, found)}`);
    problems += entry.problems.length;
  }
  if (problems > 0) return ExitCode.failed;
  io.stdout.write(`${entries.length} object${entries.length === 1 ? '' : 's'} OK\n`);
  return ExitCode.ok;
}

async function run(args: string[], io: Io): Promise<number> {
  const options = args.filter((arg) => arg.startsWith('-'));
  if (options.length > 0 || args.length === 0) {
    io.stderr.write(options.length > 0 ? `drplan lint: unknown option "${options[0] ?? ''}"\n\n${USAGE}\n` : `${USAGE}\n`);
    return ExitCode.usage;
  }
  const read = await readManifests(args, io.cwd);
  if (!read.ok) {
    for (const error of read.errors) io.stderr.write(`drplan lint: ${error}\n`);
    return ExitCode.usage;
  }
  const entries = read.documents.flatMap((document) => (isDrDocument(document.object) ? [toEntry({ ...document, object: document.object })] : []));
  markDuplicates(entries);
  const workflows = checkWorkflows(entries);
  const plans = checkPlans(entries, workflows);
  checkExecutions(entries, plans, workflows);
  checkRules(entries);
  return report(entries, io);
}

export const lint: Command = {
  summary: 'check DR manifests offline (schema, rules, references)',
  usage: USAGE,
  run,
};
