/**
 * plan-stages: drives Execute executions. It starts them (lock, labels, finalizer, frozen plan), decides
 * what runs next on every event and on the resync tick (stages by dependsOn, parallel workflows, failure
 * policies, timeouts, lost requests, `Unknown`), and finishes them (phase, times, the plan's history and
 * phase, the lock released). Deleting an execution cancels it if it runs and records it before it goes.
 */
import { createOrchestrator, type OrchestratorCore } from '../../shared/execution/orchestrator.js';
import type { CoreDeps } from '../../shared/function-deps.js';
import { startExecute } from './start-execute.js';

export type PlanStages = OrchestratorCore;

export const createPlanStages = (deps: CoreDeps): PlanStages => createOrchestrator(deps, { operation: 'Execute', start: startExecute });
