/**
 * Parameter resolution for one workflow reference of a plan. Precedence, lowest first: the workflow's
 * `parameters[].default` → the plan's `globalParams[]` → the stage's `workflows[].params[]` → the
 * execution's `spec.params`. A plan entry contributes its `value`, or its `default` when `value` is unset.
 */
import type { DRPlanSpec, DRWorkflowSpec, ExecutionParam, Parameter, ParameterType, WorkflowReference } from '../api/index.js';
import type { Problem } from './problems.js';
import { problem } from './problems.js';

export interface ParamSources {
  workflow: DRWorkflowSpec;
  plan: DRPlanSpec;
  ref: WorkflowReference;
  execution?: readonly ExecutionParam[] | undefined;
  /**
   * Where `ref` sits in the plan, e.g. `spec.stages[1].workflows[0]`. Optional: when absent it is found by
   * identity in `plan.stages`, which holds when `ref` was taken from the same `plan` object.
   */
  refPath?: string | undefined;
}

export interface ResolvedParams {
  values: Record<string, string>;
  types: Record<string, ParameterType>;
  problems: Problem[];
}

type Coerced = { ok: true; value: string } | { ok: false; message: string };

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Checks and normalises one value against a declared type: number → finite decimal (surrounding
 * whitespace trimmed, written the way JavaScript prints the number: `"+1.50"` → `"1.5"`); boolean →
 * true/false (case-insensitive, trimmed, normalised to lowercase); string → unchanged.
 */
export function coerceParam(value: string, type: ParameterType): Coerced {
  const text = value.trim();
  if (type === 'number') {
    const number = Number(text);
    return DECIMAL.test(text) && Number.isFinite(number)
      ? { ok: true, value: String(number) }
      : { ok: false, message: `must be a finite decimal number, got ${JSON.stringify(value)}` };
  }
  if (type === 'boolean') {
    const lower = text.toLowerCase();
    return lower === 'true' || lower === 'false' ? { ok: true, value: lower } : { ok: false, message: `must be true or false, got ${JSON.stringify(value)}` };
  }
  return { ok: true, value };
}

/** One value offered for a parameter, with the field it came from. */
interface Offer {
  name: string;
  value: string;
  path: string;
  /** The type declared on the entry itself (plan entries); `string`, the schema default, checks nothing. */
  type: ParameterType;
  /** Where the value really lives when `path` is only the plan field that brings it in. */
  origin?: string;
}

function planOffers(entries: readonly Parameter[] | undefined, path: string): Offer[] {
  const offers: Offer[] = [];
  (entries ?? []).forEach((entry, index) => {
    const field = entry.value !== undefined ? 'value' : 'default';
    const value = entry.value ?? entry.default;
    if (value !== undefined) offers.push({ name: entry.name, value, path: `${path}[${index}].${field}`, type: entry.type });
  });
  return offers;
}

function workflowOffers(sources: ParamSources, refPath: string): Offer[] {
  const { name, namespace } = sources.ref.workflowRef;
  const workflow = namespace === undefined ? name : `${namespace}/${name}`;
  const offers: Offer[] = [];
  (sources.workflow.parameters ?? []).forEach((entry, index) => {
    if (entry.default === undefined) return;
    const origin = `the default in workflow ${workflow}, spec.parameters[${index}].default`;
    offers.push({ name: entry.name, value: entry.default, path: `${refPath}.workflowRef`, type: entry.type, origin });
  });
  return offers;
}

function executionOffers(params: readonly ExecutionParam[] | undefined): Offer[] {
  return (params ?? []).map((entry, index) => ({ name: entry.name, value: entry.value, path: `spec.params[${index}].value`, type: 'string' }));
}

/** `spec.stages[s].workflows[w]` for a reference found by identity in the plan. */
export function findRefPath(plan: DRPlanSpec, ref: WorkflowReference): string | undefined {
  for (const [s, stage] of plan.stages.entries()) {
    const w = stage.workflows.indexOf(ref);
    if (w >= 0) return `spec.stages[${s}].workflows[${w}]`;
  }
  return undefined;
}

function refPathOf(sources: ParamSources): string {
  const { ref, plan } = sources;
  return sources.refPath ?? findRefPath(plan, ref) ?? `workflowRef ${ref.workflowRef.name}`;
}

/** Every offer, lowest precedence first. */
function allOffers(sources: ParamSources, refPath: string): Offer[] {
  return [
    ...workflowOffers(sources, refPath),
    ...planOffers(sources.plan.globalParams, 'spec.globalParams'),
    ...planOffers(sources.ref.params, `${refPath}.params`),
    ...executionOffers(sources.execution),
  ];
}

/** The workflow's declared types, then (for names it does not declare) non-string types of plan entries. */
function resolveTypes(workflow: DRWorkflowSpec, offers: readonly Offer[]): Record<string, ParameterType> {
  const types: Record<string, ParameterType> = {};
  for (const offer of offers) {
    if (offer.type !== 'string' || !Object.hasOwn(types, offer.name)) types[offer.name] = offer.type;
  }
  for (const declared of workflow.parameters ?? []) types[declared.name] = declared.type;
  return types;
}

const typeProblem = (offer: Offer, message: string): Problem =>
  problem(offer.path, `parameter ${JSON.stringify(offer.name)}${offer.origin === undefined ? '' : ` (${offer.origin})`} ${message}`);

const offerKey = (offer: Offer): string => `${offer.path}\u0000${offer.name}`;

/**
 * Problems of the offers: every entry's own declared type, and the winning value of each name against
 * the resolved type. The winning value is normalised; a value that fails its check is kept as given.
 */
function checkOffers(winners: ReadonlyMap<string, Offer>, offers: readonly Offer[], types: Record<string, ParameterType>): ResolvedParams {
  const problems = new Map<string, Problem>();
  for (const offer of offers) {
    const own = coerceParam(offer.value, offer.type);
    if (!own.ok) problems.set(offerKey(offer), typeProblem(offer, own.message));
  }
  const values: Record<string, string> = {};
  for (const [name, offer] of winners) {
    const checked = coerceParam(offer.value, types[name] ?? 'string');
    values[name] = checked.ok ? checked.value : offer.value;
    if (!checked.ok && !problems.has(offerKey(offer))) problems.set(offerKey(offer), typeProblem(offer, checked.message));
  }
  return { values, types, problems: [...problems.values()] };
}

function requiredProblems(sources: ParamSources, values: Readonly<Record<string, string>>, refPath: string): Problem[] {
  const workflowName = sources.ref.workflowRef.name;
  return (sources.workflow.parameters ?? [])
    .filter((declared) => declared.required === true && (values[declared.name] ?? '') === '')
    .map((declared) =>
      problem(
        `${refPath}.params`,
        `required parameter ${JSON.stringify(declared.name)} of workflow ${workflowName} has no value ` +
          "(set it in the stage's params, the plan's globalParams or the execution's spec.params)",
      ),
    );
}

/**
 * The parameters one workflow reference runs with. Values the workflow does not declare are kept (a
 * plan may pass a global parameter that the workflow's templates use without declaring it). Problem
 * paths name the field that supplied the value: `spec.globalParams[0].value` and
 * `spec.stages[1].workflows[0].params[2].value` (plan), `spec.params[0].value` (execution); a workflow's
 * own default is reported at the reference's `workflowRef`, its message naming the workflow field. A
 * required parameter without a value (or with an empty one) is reported at the reference's `params`.
 */
export function resolveParams(sources: ParamSources): ResolvedParams {
  const refPath = refPathOf(sources);
  const offers = allOffers(sources, refPath);
  const winners = new Map<string, Offer>();
  for (const offer of offers) winners.set(offer.name, offer);
  const types = resolveTypes(sources.workflow, offers);
  const resolved = checkOffers(winners, offers, types);
  resolved.problems.push(...requiredProblems(sources, resolved.values, refPath));
  return resolved;
}
