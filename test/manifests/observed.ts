/**
 * What each function core does when it runs its scenarios: the API calls it makes and the replies it
 * sends. The RBAC usage test compares the calls with test/manifests/rbac.ts, the routing test the replies with
 * the Triggers; `EmittedTypes` is what the manifests are written against, and the usage test checks it
 * against the replies the scenarios produce.
 */
import { EventTypes, type EventType } from '../../shared/events.js';
import type { Reply } from '../../shared/function-deps.js';
import type { FunctionName } from './rbac.js';
import type { KubeUse, Scenario, ScenarioBook } from './kube-usage.js';
import { recordingKube } from './kube-usage.js';
import { cancelScenarios, planStagesScenarios, revertScenarios } from './scenarios-orchestration.js';
import { runActionScenarios } from './scenarios-run-action.js';
import { validatePlanScenarios, validateWorkflowScenarios } from './scenarios-validation.js';

export const Scenarios: ScenarioBook = {
  'validate-workflow': validateWorkflowScenarios,
  'validate-plan': validatePlanScenarios,
  'plan-stages': planStagesScenarios,
  revert: revertScenarios,
  cancel: cancelScenarios,
  'run-action': runActionScenarios,
};

/** What a scheduling decision may tell whoever listens (no function consumes them). */
const NOTIFICATIONS = [EventTypes.actionFailed, EventTypes.executionPaused, EventTypes.executionResumed] as const;

/** The event types each function replies with (the README's event flow, "replies"). */
export const EmittedTypes: Readonly<Record<FunctionName, readonly EventType[]>> = {
  'validate-workflow': [EventTypes.workflowValidated],
  'validate-plan': [EventTypes.planValidated],
  'plan-stages': [EventTypes.actionRequested, EventTypes.executionFinished, ...NOTIFICATIONS],
  revert: [EventTypes.actionRequested, EventTypes.executionFinished, ...NOTIFICATIONS],
  cancel: [EventTypes.executionFinished],
  'run-action': [EventTypes.actionFinished, EventTypes.actionRequested, EventTypes.executionFinished, ...NOTIFICATIONS],
};

export interface Observation {
  scenario: Scenario;
  uses: KubeUse[];
  replies: Reply[];
}

async function observeOne(scenario: Scenario): Promise<Observation> {
  const uses: KubeUse[] = [];
  const outcomes = await scenario.run((inner) => recordingKube(inner, uses));
  return { scenario, uses, replies: outcomes.flat() };
}

const observations = new Map<FunctionName, Promise<Observation[]>>();

/** The scenarios of `fn`, each run once per process (in order: they share no state). */
export function observe(fn: FunctionName): Promise<Observation[]> {
  let pending = observations.get(fn);
  if (pending === undefined) {
    pending = (async () => {
      const results: Observation[] = [];
      for (const scenario of Scenarios[fn]) results.push(await observeOne(scenario));
      return results;
    })();
    observations.set(fn, pending);
  }
  return pending;
}
