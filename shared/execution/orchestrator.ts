/**
 * plan-stages and revert are one orchestrator in two configurations: each drives the executions of its
 * operation (Execute or Revert) — starts them with its own `start`, steps them on every event and on the
 * resync tick, finishes them — and ignores the other operation's.
 */
import type { ActionFinished, ObjectId } from '../event-data.js';
import type { CoreDeps, Outcome } from '../function-deps.js';
import type { Orchestrator } from './reconcile.js';
import { reconcileExecution } from './reconcile.js';
import { resyncExecutions } from './resync.js';

export interface OrchestratorCore {
  reconcile(id: ObjectId): Promise<Outcome>;
  onActionFinished(data: ActionFinished): Promise<Outcome>;
  resync(): Promise<Outcome>;
}

export function createOrchestrator(deps: CoreDeps, orchestrator: Orchestrator): OrchestratorCore {
  const reconcile = (id: ObjectId): Promise<Outcome> => reconcileExecution(deps, id, orchestrator);
  return {
    reconcile,
    /** The result is already in the status (run-action wrote it); the event only says where to look. */
    onActionFinished: async (data) => (data.operationType === orchestrator.operation ? reconcile({ name: data.execution.name, namespace: data.execution.namespace }) : []),
    resync: () => resyncExecutions(deps, orchestrator),
  };
}
