/**
 * The building blocks every validator shares — zod issues turned into Problems (a field path and a
 * plain message), the apiVersion/kind check, duplicate-name and parameter-list checks, YAML parsing
 * that never throws — and the DRPlanExecution checks. validate-workflow.ts and validate-plan.ts build
 * on it; the CLI's `drplan lint` uses all three.
 */
import type { YAMLError } from 'yaml';
import { parseYamlStream } from '../yaml.js';
import type { z } from 'zod';
import { API_VERSION, DRPlanExecutionSchema, Kinds, type DRPlan, type DRPlanExecution, type DRWorkflow, type Kind, type Parameter } from '../api/index.js';
import { coerceParam } from './params.js';
import { formatPath, problem, type Problem } from './problems.js';
import { collectPlaceholders } from './templates.js';
import { isRecord } from '../type-utils.js';

export interface ExecutionValidation {
  /** The parsed execution, whenever the schema accepts it. */
  execution?: DRPlanExecution;
  problems: Problem[];
  warnings: Problem[];
}

type RawIssue = z.core.$ZodRawIssue;

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  record: 'an object',
};

/** A short rendering of a wrong value for messages: strings quoted and cut, containers named. */
export function describeValue(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'an object';
  if (typeof input === 'string') return JSON.stringify(input.length > 60 ? `${input.slice(0, 57)}...` : input);
  if (typeof input === 'number' || typeof input === 'boolean' || typeof input === 'bigint') return String(input);
  return typeof input;
}

function sizeMessage(origin: string, bound: number | bigint, smaller: boolean): string {
  const limit = Number(bound);
  if (origin === 'array') {
    if (smaller && limit === 1) return 'must not be empty';
    return `must have at ${smaller ? 'least' : 'most'} ${limit} items`;
  }
  if (origin === 'string') {
    if (smaller && limit === 1) return 'must not be empty';
    return `must be at ${smaller ? 'least' : 'most'} ${limit} characters long`;
  }
  return `must be ${smaller ? '≥' : '≤'} ${limit}`;
}

function defaultMessage(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      return `must be ${EXPECTED[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      return `must be ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map(String).join(', ')}, got ${describeValue(issue.input)}`;
    case 'too_small':
      return sizeMessage(issue.origin, issue.minimum, true);
    case 'too_big':
      return sizeMessage(issue.origin, issue.maximum, false);
    case 'invalid_union':
      return 'does not match any allowed form';
    case 'invalid_format':
      return `must be a valid ${issue.format}`;
    default:
      return undefined;
  }
}

/** Readable messages for zod's built-in issues; messages written into the schemas take precedence. */
const errorMap: z.core.$ZodErrorMap = (issue) => defaultMessage(issue);

/** Hints for the keys people carry over from other tools or older docs. */
const KEY_HINTS: Readonly<Record<string, string>> = {
  kubernetesResource: 'the KubernetesResource config key is "resource"',
};

function issueProblems(issue: z.core.$ZodIssue): Problem[] {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const hint = KEY_HINTS[key];
      return problem(path, `unknown field "${key}"${hint === undefined ? '' : ` (${hint})`}`);
    });
  }
  if (issue.code === 'custom' && (typeof issue.input === 'string' || typeof issue.input === 'number')) {
    return [problem(path, `${issue.message}, got ${describeValue(issue.input)}`)];
  }
  return [problem(path, issue.message)];
}

/** Parses with a schema; never throws. Problems carry paths such as `spec.actions[2].http.url`. */
export function parseWithProblems<S extends z.ZodType>(schema: S, input: unknown): { value?: z.output<S>; problems: Problem[] } {
  const result = schema.safeParse(input, { reportInput: true, error: errorMap });
  if (result.success) return { value: result.data, problems: [] };
  return { problems: result.error.issues.flatMap(issueProblems) };
}

/** `apiVersion` and `kind`, when present, must be those of the kind being validated. */
export function typeMetaProblems(input: unknown, kind: Kind): Problem[] {
  if (!isRecord(input)) return [];
  const problems: Problem[] = [];
  const { apiVersion, kind: actual } = input;
  if (apiVersion !== undefined && apiVersion !== API_VERSION) {
    problems.push(problem('apiVersion', `must be ${API_VERSION}, got ${describeValue(apiVersion)}`));
  }
  if (actual !== undefined && actual !== kind) problems.push(problem('kind', `must be ${kind}, got ${describeValue(actual)}`));
  return problems;
}

/**
 * Every repeated name after its first use (`duplicate stage name "x": spec.stages[0] and spec.stages[2]`),
 * and names containing `/`, which separates stage, workflow and action in action paths.
 */
export function duplicateNames(items: ReadonlyArray<{ name?: string | undefined }>, listPath: string, noun: string): Problem[] {
  const first = new Map<string, number>();
  const problems: Problem[] = [];
  items.forEach(({ name }, index) => {
    if (name === undefined) return;
    if (name.includes('/')) problems.push(problem(`${listPath}[${index}].name`, `${noun} name "${name}" must not contain "/"`));
    const earlier = first.get(name);
    if (earlier === undefined) first.set(name, index);
    else problems.push(problem(`${listPath}[${index}].name`, `duplicate ${noun} name "${name}": ${listPath}[${earlier}] and ${listPath}[${index}]`));
  });
  return problems;
}

/** A parameter's own `value` and `default` match its declared `type` (a workflow's type is checked by resolveParams). */
function parameterValueProblems(param: Parameter, path: string): Problem[] {
  const problems: Problem[] = [];
  for (const field of ['value', 'default'] as const) {
    const text = param[field];
    if (text === undefined) continue;
    const coerced = coerceParam(text, param.type);
    if (!coerced.ok) problems.push(problem(`${path}.${field}`, coerced.message));
  }
  return problems;
}

/** A list of parameters (workflow `parameters`, plan `globalParams`, stage `params`): names and values. */
export function parameterListProblems(params: readonly Parameter[] | undefined, listPath: string): Problem[] {
  if (params === undefined) return [];
  const problems = duplicateNames(params, listPath, 'parameter');
  params.forEach((param, index) => {
    const path = `${listPath}[${index}]`;
    if (param.name.trim() === '') problems.push(problem(`${path}.name`, 'must not be empty'));
    problems.push(...parameterValueProblems(param, path));
  });
  return problems;
}

const pathKey = (path: string): string => path.replace(/\d+/g, (digits) => digits.padStart(10, '0'));

/** Problems in field order (`spec.actions[2]` before `spec.actions[10]`); same-path problems keep their order. */
export function sortByPath(problems: readonly Problem[]): Problem[] {
  return problems
    .map((found) => ({ found, key: pathKey(found.path) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ found }) => found);
}

export type YamlDocuments = { ok: true; values: unknown[] } | { ok: false; message: string; line?: number; column?: number };

function syntaxError(error: YAMLError): YamlDocuments {
  const [start] = error.linePos ?? [];
  const [first = error.message] = error.message.split('\n');
  return { ok: false, message: first.replace(/ at line \d+, column \d+:?$/, '').replace(/:$/, ''), line: start?.line, column: start?.col };
}

/**
 * The non-empty documents of a YAML (or JSON) text, or its first syntax error as one line with its
 * position. Never throws (alias bombs and the like come back as an error too).
 */
export function parseYamlDocuments(text: string, options: { version?: '1.1' | '1.2' } = {}): YamlDocuments {
  const values: unknown[] = [];
  try {
    for (const document of parseYamlStream(text, options)) {
      const [error] = document.errors;
      if (error !== undefined) return syntaxError(error);
      const value: unknown = document.toJS();
      if (value !== null && value !== undefined) values.push(value);
    }
  } catch (error: unknown) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  return { ok: true, values };
}

/** Validates a DRPlanExecution on its own (its plan is checked by `executionPlanProblems`); never throws. */
export function validateExecution(obj: unknown): ExecutionValidation {
  const parsed = parseWithProblems(DRPlanExecutionSchema, obj);
  const problems = [...typeMetaProblems(obj, Kinds.execution), ...parsed.problems];
  const warnings: Problem[] = [];
  const execution = parsed.value;
  if (execution === undefined) return { problems, warnings };
  const { operationType, revertExecutionRef, params } = execution.spec;
  if (operationType === 'Revert' && (revertExecutionRef ?? '') === '') {
    problems.push(problem('spec.revertExecutionRef', 'required when operationType is Revert (name the Execute execution to roll back)'));
  }
  if (operationType === 'Execute' && revertExecutionRef !== undefined) {
    warnings.push(problem('spec.revertExecutionRef', 'ignored when operationType is Execute'));
  }
  problems.push(...duplicateNames(params ?? [], 'spec.params', 'parameter'));
  return { execution, problems: sortByPath(problems), warnings };
}

const workflowLabel = (workflow: DRWorkflow): string => `DRWorkflow ${workflow.metadata.namespace ?? 'default'}/${workflow.metadata.name ?? ''}`;

/** The parameter names a workflow can take: declared ones and the ones its templates use. */
function usableNames(workflow: DRWorkflow): Set<string> {
  const names = new Set((workflow.spec.parameters ?? []).map(({ name }) => name));
  for (const { placeholder } of collectPlaceholders(workflow.spec.actions, 'spec.actions')) {
    if (placeholder.kind === 'param') names.add(placeholder.name);
  }
  return names;
}

function executionParamTypeProblem(name: string, value: string, workflows: readonly DRWorkflow[]): string | undefined {
  for (const workflow of workflows) {
    const declared = workflow.spec.parameters?.find((param) => param.name === name);
    if (declared === undefined) continue;
    const coerced = coerceParam(value, declared.type);
    if (!coerced.ok) return `${coerced.message} (${workflowLabel(workflow)} declares it as ${declared.type})`;
  }
  return undefined;
}

/**
 * An execution against its plan and the plan's workflows: each `spec.params` name is one some workflow
 * of the plan takes, and its value matches the type the workflows declare.
 */
export function executionPlanProblems(execution: DRPlanExecution, plan: DRPlan, workflows: readonly DRWorkflow[]): Problem[] {
  const usable = new Set(workflows.flatMap((workflow) => [...usableNames(workflow)]));
  const planLabel = `DRPlan ${plan.metadata.namespace ?? 'default'}/${plan.metadata.name ?? ''}`;
  const problems: Problem[] = [];
  (execution.spec.params ?? []).forEach(({ name, value }, index) => {
    if (!usable.has(name)) {
      problems.push(problem(`spec.params[${index}].name`, `parameter "${name}" is not used by any workflow of ${planLabel}`));
      return;
    }
    const message = executionParamTypeProblem(name, value, workflows);
    if (message !== undefined) problems.push(problem(`spec.params[${index}].value`, message));
  });
  return problems;
}
