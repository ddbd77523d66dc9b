/**
 * revert: drives Revert executions — a saga over what the target execution did. The rollback list (the
 * target's succeeded actions in reverse order of completion, each undone by its custom rollback or
 * automatically) runs one action at a time through the same driver as plan-stages; the first rollback
 * that fails stops the revert, named in its message. A Succeeded revert puts the plan back to `Ready`.
 */
import type { ActionFinished, ObjectId } from '../../shared/event-data.js';
import type { Orchestrator } from '../../shared/execution/reconcile.js';
import { reconcileExecution } from '../../shared/execution/reconcile.js';
import { resyncExecutions } from '../../shared/execution/resync.js';
import type { CoreDeps, Outcome } from '../../shared/function-deps.js';
import { startRevert } from './start-revert.js';

const REVERT: Orchestrator = { operation: 'Revert', start: startRevert };

export interface Revert {
  reconcile(id: ObjectId): Promise<Outcome>;
  onActionFinished(data: ActionFinished): Promise<Outcome>;
  resync(): Promise<Outcome>;
}

export function createRevert(deps: CoreDeps): Revert {
  const reconcile = (id: ObjectId): Promise<Outcome> => reconcileExecution(deps, id, REVERT);
  return {
    reconcile,
    /** The result is already in the status (run-action wrote it); the event only says where to look. */
    onActionFinished: async (data) => (data.operationType === 'Revert' ? reconcile({ name: data.execution.name, namespace: data.execution.namespace }) : []),
    resync: () => resyncExecutions(deps, REVERT),
  };
}
