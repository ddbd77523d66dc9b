/** Small builders and a driver for scheduler tests: resolved plans of HTTP actions, and a run-action stand-in. */
import type {
  Action,
  ActionStatus,
  DRPlanExecutionStatus,
  ResolvedPlan,
  ResolvedStage,
  ResolvedWorkflow,
  StageStatus,
  WorkflowExecutionStatus,
} from '../../../shared/api/index.js';
import type { AttemptResult } from '../../../shared/engine/attempt.js';
import { claimAttempt, recordAttempt } from '../../../shared/engine/attempt.js';
import type { ActionRequest, Decision, ScheduleInput } from '../../../shared/engine/scheduler.js';
import { schedule } from '../../../shared/engine/scheduler.js';

export const T0 = new Date('2024-05-01T10:00:00.000Z');
/** `T0` plus `seconds`. */
export const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

export function httpAction(name: string, extra: Partial<Action> = {}): Action {
  return { name, type: 'HTTP', timeout: '5m', http: { url: `http://target.example/${name}`, method: 'GET' }, ...extra };
}

export function workflow(name: string, actions: readonly (string | Action)[], failurePolicy: ResolvedWorkflow['failurePolicy'] = 'FailFast'): ResolvedWorkflow {
  return {
    workflowRef: { name, namespace: 'dr' },
    failurePolicy,
    actions: actions.map((action) => (typeof action === 'string' ? httpAction(action) : action)),
  };
}

export interface StageOptions {
  dependsOn?: string[];
  parallel?: boolean;
  failurePolicy?: ResolvedStage['failurePolicy'];
}

export function stage(name: string, workflows: readonly ResolvedWorkflow[], options: StageOptions = {}): ResolvedStage {
  const parallel = options.parallel ?? false;
  return {
    name,
    ...(options.dependsOn === undefined ? {} : { dependsOn: options.dependsOn }),
    parallel,
    failurePolicy: options.failurePolicy ?? (parallel ? 'FailFast' : 'Stop'),
    workflows: [...workflows],
  };
}

export function plan(...stages: ResolvedStage[]): ResolvedPlan {
  return { failurePolicy: 'Stop', stages };
}

/** A plan with one sequential stage `s` holding one workflow `wf` of the given actions. */
export function singleWorkflowPlan(actions: readonly (string | Action)[], failurePolicy: ResolvedWorkflow['failurePolicy'] = 'FailFast'): ResolvedPlan {
  return plan(stage('s', [workflow('wf', actions, failurePolicy)]));
}

export function run(resolved: ResolvedPlan, status: DRPlanExecutionStatus, now: Date, extra: Partial<ScheduleInput> = {}): Decision {
  return schedule({ resolved, status, now, ...extra });
}

/** Claims and records one requested attempt, as run-action would. */
export function complete(status: DRPlanExecutionStatus, request: ActionRequest, result: AttemptResult, now: Date): DRPlanExecutionStatus {
  const claimed = claimAttempt(status, request.path, request.attempt, now);
  return recordAttempt(claimed.status, { path: request.path, attempt: request.attempt, result: result, now: now }).status;
}

export const ok: AttemptResult = { ok: true };
export const fatal = (message = 'boom'): AttemptResult => ({ ok: false, retryable: false, message });

export function stageStatus(status: DRPlanExecutionStatus, name: string): StageStatus | undefined {
  return status.stageStatuses?.find((candidate) => candidate.name === name);
}

export function workflowStatus(status: DRPlanExecutionStatus, stageName: string, index = 0): WorkflowExecutionStatus | undefined {
  return stageStatus(status, stageName)?.workflowExecutions?.[index];
}

export function actionStatus(status: DRPlanExecutionStatus, path: string): ActionStatus | undefined {
  const [stageName = '', index = '0', name = ''] = path.split('/');
  return workflowStatus(status, stageName, Number(index))?.actionStatuses?.find((action) => action.name === name);
}

export const phases = (status: DRPlanExecutionStatus, paths: readonly string[]): (string | undefined)[] =>
  paths.map((path) => actionStatus(status, path)?.phase);

export const requestedPaths = (decision: Decision): string[] => decision.requests.map((request) => request.path);

/**
 * Drives a plan to the end: every requested attempt is claimed and finished at once with the result
 * `outcome(path, attempt)` gives (success by default); the clock moves 10 minutes per round so retries
 * come due. Returns the final decision and the order in which attempts were requested.
 */
export function driveToEnd(
  resolved: ResolvedPlan,
  outcome: (path: string, attempt: number) => AttemptResult = () => ok,
  start: DRPlanExecutionStatus = {},
): { decision: Decision; requested: string[]; events: Decision['events'] } {
  let status = start;
  const requested: string[] = [];
  const events: Decision['events'] = [];
  for (let round = 0; round < 200; round++) {
    const now = at(round * 600);
    const decision = run(resolved, status, now);
    events.push(...decision.events);
    if (
      decision.finished !== undefined ||
      (!decision.changed && decision.requests.length === 0 && status.phase !== undefined && decision.status.completionTime !== undefined)
    ) {
      return { decision, requested, events };
    }
    status = decision.status;
    for (const request of decision.requests) {
      requested.push(request.path);
      status = complete(status, request, outcome(request.path, request.attempt), now);
    }
  }
  throw new Error('the plan did not finish in 200 rounds');
}
