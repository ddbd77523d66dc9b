/**
 * plan-stages: drives Execute executions. It starts them (lock, labels, finalizer, frozen plan), decides
 * what runs next on every event and on the resync tick (stages by dependsOn, parallel workflows, failure
 * policies, timeouts, lost requests, `Unknown`), and finishes them (phase, times, the plan's history and
 * phase, the lock released). Deleting an execution cancels it if it runs and records it before it goes.
 */
import type { ActionFinished, ObjectId } from '../../shared/event-data.js';
import type { Orchestrator } from '../../shared/execution/reconcile.js';
import { reconcileExecution } from '../../shared/execution/reconcile.js';
import { resyncExecutions } from '../../shared/execution/resync.js';
import type { CoreDeps, Outcome } from '../../shared/function-deps.js';
import { startExecute } from './start-execute.js';

const EXECUTE: Orchestrator = { operation: 'Execute', start: startExecute };

export interface PlanStages {
  reconcile(id: ObjectId): Promise<Outcome>;
  onActionFinished(data: ActionFinished): Promise<Outcome>;
  resync(): Promise<Outcome>;
}

export function createPlanStages(deps: CoreDeps): PlanStages {
  const reconcile = (id: ObjectId): Promise<Outcome> => reconcileExecution(deps, id, EXECUTE);
  return {
    reconcile,
    /** The result is already in the status (run-action wrote it); the event only says where to look. */
    onActionFinished: async (data) => (data.operationType === 'Execute' ? reconcile({ name: data.execution.name, namespace: data.execution.namespace }) : []),
    resync: () => resyncExecutions(deps, EXECUTE),
  };
}
