/**
 * DRWorkflow validation: the schema, then the rules a schema cannot express (the original controller's
 * webhook rules plus ours). Pure: never throws, never reads anything but its argument.
 */
import {
  DRWorkflowSchema,
  Kinds,
  parseDuration,
  type Action,
  type ActionType,
  type DRWorkflow,
  type DRWorkflowSpec,
  type RollbackAction,
} from '../api/index.js';
import { withDefaults } from './defaults.js';
import { problem, type Problem } from './problems.js';
import { collectPlaceholders, collectUnsupportedReferences, findPlaceholders, findUnsupportedReferences } from './templates.js';
import { describeValue, duplicateNames, parameterListProblems, parseWithProblems, parseYamlDocuments, sortByPath, typeMetaProblems } from './validate.js';
import { isRecord } from '../type-utils.js';

export interface WorkflowValidation {
  /** The parsed workflow with every default applied, whenever the schema accepts it. */
  workflow?: DRWorkflow;
  problems: Problem[];
  /** Not wrong in itself, but worth a look (e.g. a parameter the plan must supply). */
  warnings: Problem[];
}

/** The config key each action type reads. */
export const CONFIG_KEYS = {
  HTTP: 'http',
  Job: 'job',
  KubernetesResource: 'resource',
  Localization: 'localization',
  Subscription: 'subscription',
} as const satisfies Record<ActionType, keyof RollbackAction>;

/** `type: HTTP` needs `http` and nothing of another type. */
function configProblems(action: RollbackAction, path: string): Problem[] {
  const key = CONFIG_KEYS[action.type];
  const problems: Problem[] = [];
  if (action[key] === undefined) problems.push(problem(`${path}.${key}`, `required when type is ${action.type}`));
  for (const [type, other] of Object.entries(CONFIG_KEYS)) {
    if (other !== key && action[other] !== undefined) {
      problems.push(problem(`${path}.${other}`, `not allowed when type is ${action.type} (it configures type ${type})`));
    }
  }
  return problems;
}

function rollbackRequired(action: RollbackAction, path: string, operation: string, topLevel: boolean): Problem[] {
  if (!topLevel || action.rollback !== undefined) return [];
  return [problem(`${path}.rollback`, `required when a ${action.type} action's operation is ${operation}: a ${operation} cannot be undone automatically`)];
}

/**
 * Placeholders (and look-alikes, reported on their own) become a plain scalar, so that an unquoted
 * `replicas: {{ .params.n }}` still parses as YAML.
 */
function neutralisePlaceholders(text: string): string {
  const spans = [...findPlaceholders(text), ...findUnsupportedReferences(text)].sort((a, b) => a.index - b.index);
  // one pass, pieces joined once (rebuilding the whole text per placeholder took seconds on a 256 KiB manifest)
  const pieces: string[] = [];
  let copied = 0;
  for (const { raw, index } of spans) {
    if (index < copied) continue; // inside a span already replaced
    pieces.push(text.slice(copied, index), 'placeholder');
    copied = index + raw.length;
  }
  pieces.push(text.slice(copied));
  return pieces.join('');
}

function documentFieldProblems(value: unknown): string[] {
  if (!isRecord(value)) return [`must hold a Kubernetes object (apiVersion, kind, metadata.name), got ${describeValue(value)}`];
  const missing: string[] = [];
  for (const field of ['apiVersion', 'kind'] as const) {
    if (typeof value[field] !== 'string' || value[field] === '') missing.push(`${field} is required`);
  }
  const metadata = value.metadata;
  if (!isRecord(metadata) || typeof metadata.name !== 'string' || metadata.name === '') missing.push('metadata.name is required');
  return missing;
}

/** `resource.manifest`: YAML (one or more documents), each with apiVersion, kind and metadata.name. */
export function manifestProblems(manifest: string, path: string): Problem[] {
  const parsed = parseYamlDocuments(neutralisePlaceholders(manifest));
  if (!parsed.ok) {
    const where = parsed.line === undefined ? '' : ` at line ${parsed.line}, column ${parsed.column ?? 1}`;
    return [problem(path, `not valid YAML${where}: ${parsed.message}`)];
  }
  const { values } = parsed;
  if (values.length === 0) return [problem(path, 'contains no Kubernetes object')];
  return values.flatMap((value, index) => {
    const where = values.length > 1 ? `document ${index + 1}: ` : '';
    return documentFieldProblems(value).map((message) => problem(path, `${where}${message}`));
  });
}

function resourceProblems(action: RollbackAction, path: string, topLevel: boolean): Problem[] {
  const resource = action.resource;
  if (resource === undefined) return [];
  const problems = manifestProblems(resource.manifest, `${path}.resource.manifest`);
  if (resource.operation === 'Patch' || resource.operation === 'Apply') {
    problems.push(...rollbackRequired(action, path, resource.operation, topLevel));
  }
  return problems;
}

function localizationProblems(action: RollbackAction, path: string, topLevel: boolean): Problem[] {
  const localization = action.localization;
  if (localization === undefined) return [];
  const { operation } = localization;
  const problems: Problem[] = [];
  if (operation !== 'Delete' && localization.spec === undefined) {
    problems.push(problem(`${path}.localization.spec`, `required when operation is ${operation}`));
  }
  if (operation === 'Patch') problems.push(...rollbackRequired(action, path, operation, topLevel));
  return problems;
}

function subscriptionProblems(action: RollbackAction, path: string, topLevel: boolean): Problem[] {
  const subscription = action.subscription;
  if (subscription === undefined) return [];
  const { operation, spec } = subscription;
  const problems: Problem[] = [];
  if (operation !== 'Delete' && spec === undefined) {
    problems.push(problem(`${path}.subscription.spec`, `required when operation is ${operation}`));
  }
  if (operation === 'Create' && spec !== undefined) {
    if (spec.feeds.length === 0) problems.push(problem(`${path}.subscription.spec.feeds`, 'must list at least one feed when operation is Create'));
    if (spec.subscribers.length === 0) {
      problems.push(problem(`${path}.subscription.spec.subscribers`, 'must list at least one subscriber when operation is Create'));
    }
  }
  if (operation === 'Patch') problems.push(...rollbackRequired(action, path, operation, topLevel));
  return problems;
}

function httpProblems(action: RollbackAction, path: string): Problem[] {
  const http = action.http;
  if (http === undefined) return [];
  const problems: Problem[] = [];
  if (findPlaceholders(http.url).length === 0 && !/^https?:\/\/[^/\s]+/i.test(http.url)) {
    problems.push(problem(`${path}.http.url`, `must be an absolute http:// or https:// URL, got ${JSON.stringify(http.url)}`));
  }
  (http.successCodes ?? []).forEach((code, index) => {
    if (code < 100 || code > 599) problems.push(problem(`${path}.http.successCodes[${index}]`, `must be an HTTP status code (100-599), got ${code}`));
  });
  return problems;
}

/** The rules of the config of the action's own type (a config of another type is reported, not checked). */
function typeProblems(action: RollbackAction, path: string, topLevel: boolean): Problem[] {
  switch (action.type) {
    case 'HTTP':
      return httpProblems(action, path);
    case 'KubernetesResource':
      return resourceProblems(action, path, topLevel);
    case 'Localization':
      return localizationProblems(action, path, topLevel);
    case 'Subscription':
      return subscriptionProblems(action, path, topLevel);
    case 'Job':
      return [];
  }
}

/** The rules of one action; a custom rollback follows the same per-type rules (without needing its own rollback). */
function actionProblems(action: RollbackAction, path: string, topLevel: boolean): Problem[] {
  const problems = [...configProblems(action, path), ...typeProblems(action, path, topLevel)];
  if (parseDuration(action.timeout) === 0) problems.push(problem(`${path}.timeout`, 'must be greater than 0'));
  if (action.rollback !== undefined) problems.push(...actionProblems(action.rollback, `${path}.rollback`, false));
  return problems;
}

/** An action of the workflow: its rules, and a rollback only where a Revert runs it (not with revertPolicy Ignore). */
function topLevelProblems(action: Action, path: string): Problem[] {
  if (action.revertPolicy !== 'Ignore') return actionProblems(action, path, true);
  const problems = actionProblems(action, path, false);
  if (action.rollback !== undefined) problems.push(problem(`${path}.rollback`, 'never runs: revertPolicy is Ignore (remove one of the two)'));
  return problems;
}

/** `dependsOn` names an earlier action of the same workflow. */
function dependsOnProblems(actions: readonly Action[]): Problem[] {
  const firstIndex = new Map<string, number>();
  actions.forEach(({ name }, index) => {
    if (!firstIndex.has(name)) firstIndex.set(name, index);
  });
  const problems: Problem[] = [];
  actions.forEach((action, index) => {
    (action.dependsOn ?? []).forEach((dependency, k) => {
      const path = `spec.actions[${index}].dependsOn[${k}]`;
      const at = firstIndex.get(dependency);
      if (dependency === action.name) problems.push(problem(path, 'an action cannot depend on itself'));
      else if (at === undefined) problems.push(problem(path, `no action named "${dependency}" in this workflow`));
      else if (at > index) problems.push(problem(path, `"${dependency}" is spec.actions[${at}], which comes later; dependsOn must name an earlier action`));
    });
  });
  return problems;
}

function executorProblems(spec: DRWorkflowSpec): Problem[] {
  if (spec.executor?.type !== 'Argo') return [];
  return [problem('spec.executor.type', 'only the Native executor runs in drplan-functions (remove executor or set type: Native)')];
}

/** A `{{ .params.x }}` the workflow does not declare may still come from the plan: a warning here, once per name. */
function undeclaredParameterWarnings(spec: DRWorkflowSpec): Problem[] {
  const declared = new Set((spec.parameters ?? []).map(({ name }) => name));
  const uses = new Map<string, string[]>();
  for (const { path, placeholder } of collectPlaceholders(spec.actions, 'spec.actions')) {
    if (placeholder.kind !== 'param' || declared.has(placeholder.name)) continue;
    uses.set(placeholder.name, [...(uses.get(placeholder.name) ?? []), path]);
  }
  return [...uses].map(([name, [first = '', ...others]]) => {
    const more = others.length === 0 ? '' : ` (used ${others.length + 1} times)`;
    return problem(first, `parameter "${name}" is not declared in spec.parameters${more}; every plan using this workflow must provide it`);
  });
}

/** `{{ .params.x | quote }}` looks like a placeholder but is not substituted: it would reach the target as written. */
function unsupportedReferenceProblems(spec: DRWorkflowSpec): Problem[] {
  return collectUnsupportedReferences(spec.actions, 'spec.actions').map(({ path, raw }) =>
    problem(path, `${JSON.stringify(raw)} is not a placeholder drplan substitutes (write {{ .params.name }} or $(params.name)); it would be sent as written`),
  );
}

/** The semantic rules, over a parsed spec. */
export function workflowSpecProblems(spec: DRWorkflowSpec): Problem[] {
  return [
    ...executorProblems(spec),
    ...duplicateNames(spec.actions, 'spec.actions', 'action'),
    ...spec.actions.flatMap((action, index) => topLevelProblems(action, `spec.actions[${index}]`)),
    ...dependsOnProblems(spec.actions),
    ...unsupportedReferenceProblems(spec),
    ...parameterListProblems(spec.parameters, 'spec.parameters'),
  ];
}

/** Validates a DRWorkflow (any input, e.g. straight from YAML); never throws. */
export function validateWorkflow(obj: unknown): WorkflowValidation {
  const parsed = parseWithProblems(DRWorkflowSchema, obj);
  const problems = [...typeMetaProblems(obj, Kinds.workflow), ...parsed.problems];
  if (parsed.value === undefined) return { problems: sortByPath(problems), warnings: [] };
  const workflow = withDefaults(parsed.value);
  problems.push(...workflowSpecProblems(workflow.spec));
  return { workflow, problems: sortByPath(problems), warnings: undeclaredParameterWarnings(workflow.spec) };
}
