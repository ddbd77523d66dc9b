/**
 * `drplan describe`'s text: the plan's settings, then per stage each workflow with its resolved
 * parameters (and where each value comes from) and its actions as they would run (rendered), each
 * with its rollback; last the validation problems.
 */
import { parse } from 'yaml';
import type { Action, DRPlan, DRWorkflow, Parameter, RollbackAction, WorkflowReference } from '../../shared/api/index.js';
import type { Problem } from '../../shared/engine/problems.js';
import { DEFAULT_RETRY_POLICY } from '../../shared/engine/retry.js';
import { formatTime } from './format.js';

export interface DescribedWorkflow {
  ref: WorkflowReference;
  /** `namespace/name` */
  label: string;
  /** Ready / Invalid / not found. */
  state: string;
  workflow?: DRWorkflow | undefined;
  params: Record<string, string>;
  /** The actions rendered with `params` (as written when they cannot be rendered). */
  actions: Action[];
}

export interface DescribedStage {
  name: string;
  description?: string | undefined;
  parallel: boolean;
  dependsOn: string[];
  failurePolicy: string;
  workflows: DescribedWorkflow[];
}

export interface PlanDescription {
  plan: DRPlan;
  phase: string;
  running?: string | undefined;
  stages: DescribedStage[];
  problems: Problem[];
}

function resourceTarget(manifest: string): string {
  try {
    const object = parse(manifest) as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
    const kind = typeof object?.kind === 'string' ? object.kind : 'object';
    const name = typeof object?.metadata?.name === 'string' ? object.metadata.name : '?';
    const namespace = typeof object?.metadata?.namespace === 'string' ? `${object.metadata.namespace}/` : '';
    return `${kind} ${namespace}${name}`;
  } catch {
    return '(manifest)';
  }
}

function jobSummary(job: NonNullable<Action['job']>): string {
  const image = job.template.spec.template.spec.containers[0]?.image ?? '?';
  return `Job (image ${image}${job.namespace === undefined ? '' : `, in ${job.namespace}`})`;
}

const qualified = (namespace: string | undefined, name: string): string => (namespace === undefined ? name : `${namespace}/${name}`);

/** What an action does, in one line: `HTTP POST https://…`, `Job (image busybox)`, … */
export function actionSummary(action: Action | RollbackAction): string {
  const { http, job, localization, subscription, resource } = action;
  if (http !== undefined) return `HTTP ${http.method} ${http.url}`;
  if (job !== undefined) return jobSummary(job);
  if (localization !== undefined) return `Localization ${localization.operation} ${qualified(localization.namespace, localization.name)}`;
  if (subscription !== undefined) return `Subscription ${subscription.operation} ${qualified(subscription.namespace, subscription.name)}`;
  if (resource !== undefined) return `KubernetesResource ${resource.operation} ${resourceTarget(resource.manifest)}`;
  return `${action.type} (no ${action.type} settings)`;
}

function operationOf(action: Action): string | undefined {
  return action.localization?.operation ?? action.subscription?.operation ?? action.resource?.operation;
}

/** What a revert does for this action. */
export function rollbackSummary(action: Action): string {
  if (action.rollback !== undefined) return actionSummary(action.rollback);
  if (action.type === 'Job') return 'automatic: delete the Job';
  if (action.type === 'HTTP') return 'none (skipped on revert)';
  const operation = operationOf(action);
  return operation === 'Create' ? 'automatic: delete what it created' : `automatic: restore the state before the ${operation ?? 'change'}`;
}

function retrySummary(action: Action): string {
  const policy = action.retryPolicy ?? DEFAULT_RETRY_POLICY;
  return policy.limit === 0 ? 'no retries' : `${policy.limit} retries from ${policy.interval} ×${policy.backoffMultiplier}`;
}

function actionLines(action: Action, index: number): string[] {
  const facts = [`timeout ${action.timeout}`, retrySummary(action)];
  if (action.when !== undefined) facts.push(`when ${action.when}`);
  if (action.dependsOn !== undefined && action.dependsOn.length > 0) facts.push(`after ${action.dependsOn.join(', ')}`);
  return [
    `          ${index + 1}. ${action.name}: ${actionSummary(action)}`,
    `             ${facts.join(', ')}`,
    `             rollback: ${rollbackSummary(action)}`,
  ];
}

const hasValue = (entries: readonly Parameter[] | undefined, name: string): boolean =>
  (entries ?? []).some((entry) => entry.name === name && (entry.value ?? entry.default) !== undefined);

/** Where a resolved value comes from (highest precedence first; executions add `--param` on top). */
export function paramSource(name: string, ref: WorkflowReference, plan: DRPlan): string {
  if (hasValue(ref.params, name)) return 'stage params';
  if (hasValue(plan.spec.globalParams, name)) return 'plan globalParams';
  return 'workflow default';
}

function workflowLines(entry: DescribedWorkflow, plan: DRPlan): string[] {
  const failurePolicy = entry.workflow === undefined ? '' : `, failurePolicy ${entry.workflow.spec.failurePolicy}`;
  const lines = [`     workflow ${entry.label}  [${entry.state}${failurePolicy}]`];
  const names = Object.keys(entry.params).sort();
  if (names.length > 0) {
    const width = Math.max(...names.map((name) => name.length));
    lines.push('       parameters:');
    for (const name of names)
      lines.push(`          ${name.padEnd(width)} = ${JSON.stringify(entry.params[name] ?? '')}  (${paramSource(name, entry.ref, plan)})`);
  }
  if (entry.actions.length > 0) lines.push('       actions:', ...entry.actions.flatMap(actionLines));
  return lines;
}

function stageLines(stage: DescribedStage, index: number, plan: DRPlan): string[] {
  const facts = [stage.parallel ? 'workflows in parallel' : 'workflows in sequence', `failurePolicy ${stage.failurePolicy}`];
  if (stage.dependsOn.length > 0) facts.push(`after ${stage.dependsOn.join(', ')}`);
  const lines = [`  ${index + 1}. ${stage.name}  (${facts.join(', ')})`];
  if (stage.description !== undefined) lines.push(`     ${stage.description}`);
  return [...lines, ...stage.workflows.flatMap((workflow) => workflowLines(workflow, plan))];
}

function settingLines(description: PlanDescription): string[] {
  const { plan } = description;
  const globals = (plan.spec.globalParams ?? []).map((entry) => `${entry.name}=${JSON.stringify(entry.value ?? entry.default ?? '')}`);
  const lines: string[] = [];
  if (plan.spec.description !== undefined) lines.push(`  Description:     ${plan.spec.description}`);
  lines.push(`  Phase:           ${description.phase}`, `  Failure policy:  ${plan.spec.failurePolicy}`);
  if (globals.length > 0) lines.push(`  Global params:   ${globals.join(', ')}`);
  return lines;
}

function headerLines(description: PlanDescription): string[] {
  const { plan } = description;
  const history = plan.status?.executionHistory?.[0];
  const lines = [`DRPlan ${plan.metadata.namespace ?? 'default'}/${plan.metadata.name ?? ''}`, ...settingLines(description)];
  lines.push(`  Running:         ${description.running ?? 'nothing'}`);
  if (history !== undefined)
    lines.push(`  Last execution:  ${history.name} (${history.operationType}, ${history.phase ?? '?'}, started ${formatTime(history.startTime)})`);
  return lines;
}

export function renderDescription(description: PlanDescription): string {
  const lines = [...headerLines(description), '', 'Stages:'];
  description.stages.forEach((stage, index) => lines.push(...stageLines(stage, index, description.plan)));
  if (description.problems.length > 0) {
    lines.push('', `Problems (${description.problems.length}; the plan cannot run until they are fixed):`);
    for (const { path, message } of description.problems) lines.push(`  ${path === '' ? '' : `${path}: `}${message}`);
  }
  return `${lines.join('\n')}\n`;
}
