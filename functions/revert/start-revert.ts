/**
 * Starting a Revert: valid spec → ownership (labels, finalizer) → the target checked (same plan, an
 * Execute, Succeeded/Failed/Cancelled, with a frozen plan) → the rollback list → the plan lock → the
 * first scheduling step, which writes the rollback plan, its initial status and the Running phase.
 * Any refusal ends the Revert `Failed` with a message naming the field.
 */
import { problemsMessage } from '../../shared/conditions.js';
import { checkRevertTarget, initialRevertStatus } from '../../shared/engine/rollback.js';
import { begin } from '../../shared/execution/driver.js';
import { finishUnstarted } from '../../shared/execution/finish.js';
import { takeLock } from '../../shared/execution/lock.js';
import type { Loaded } from '../../shared/execution/objects.js';
import { loadExecution } from '../../shared/execution/objects.js';
import { ensureOwnership } from '../../shared/execution/ownership.js';
import type { CoreDeps, Outcome } from '../../shared/function-deps.js';
import { buildRollback } from './rollback-list.js';

async function loadTarget(deps: CoreDeps, revert: Loaded): Promise<Loaded | undefined> {
  const name = revert.execution.spec.revertExecutionRef ?? '';
  return name === '' ? undefined : loadExecution(deps.kube, { name, namespace: revert.id.namespace });
}

export async function startRevert(deps: CoreDeps, loaded: Loaded): Promise<Outcome> {
  if (loaded.problems.length > 0) return finishUnstarted(deps, loaded, 'Failed', problemsMessage(loaded.problems, [], 'invalid'));
  const owned = await ensureOwnership(deps.kube, loaded);
  const target = await loadTarget(deps, owned);
  const problem = checkRevertTarget(owned.execution, target?.execution);
  if (problem !== undefined || target === undefined) return finishUnstarted(deps, owned, 'Failed', problem ?? 'spec.revertExecutionRef: required');
  const rollback = await buildRollback(deps.kube, owned, target);
  if (!rollback.ok) return finishUnstarted(deps, owned, 'Failed', rollback.message);
  const lock = await takeLock(deps.kube, owned);
  if (!lock.held) return finishUnstarted(deps, owned, 'Failed', lock.message);
  return begin(deps, owned, rollback.resolved, initialRevertStatus(rollback.resolved, deps.clock.now()));
}
