/**
 * revert: drives Revert executions — a saga over what the target execution did. The rollback list (the
 * target's succeeded actions in reverse order of completion, each undone by its custom rollback or
 * automatically) runs one action at a time through the same orchestrator as plan-stages; the first
 * rollback that fails stops the revert, named in its message. A Succeeded revert puts the plan back to
 * `Ready`.
 */
import { createOrchestrator, type OrchestratorCore } from '../../shared/execution/orchestrator.js';
import type { CoreDeps } from '../../shared/function-deps.js';
import { startRevert } from './start-revert.js';

export type Revert = OrchestratorCore;

export const createRevert = (deps: CoreDeps): Revert => createOrchestrator(deps, { operation: 'Revert', start: startRevert });
