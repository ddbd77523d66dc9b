/**
 * plan-stages and revert are one orchestrator in two configurations: each drives the executions of its
 * operation (Execute or Revert) — starts them with its own `start`, steps them on every event and on the
 * resync tick, finishes them — and ignores the other operation's. Reconciles of one execution in one
 * process run one at a time (SingleFlight).
 */
import type { ActionFinished, ObjectId } from '../event-data.js';
import type { CoreDeps, Outcome } from '../function-deps.js';
import type { Orchestrator } from './reconcile.js';
import { reconcileExecution } from './reconcile.js';
import { resyncExecutions } from './resync.js';
import { SingleFlight } from './single-flight.js';

export interface OrchestratorCore {
  reconcile(id: ObjectId): Promise<Outcome>;
  onActionFinished(data: ActionFinished): Promise<Outcome>;
  resync(): Promise<Outcome>;
}

export function createOrchestrator(deps: CoreDeps, orchestrator: Orchestrator): OrchestratorCore {
  const flights = new SingleFlight();
  const reconcile = (id: ObjectId): Promise<Outcome> => flights.run(`${id.namespace}/${id.name}`, () => reconcileExecution(deps, id, orchestrator));
  return {
    reconcile,
    /** The result is already in the status (run-action wrote it); the event only says where to look. */
    onActionFinished: async (data) =>
      data.operationType === orchestrator.operation ? reconcile({ name: data.execution.name, namespace: data.execution.namespace }) : [],
    resync: () => resyncExecutions(deps, orchestrator, reconcile),
  };
}
