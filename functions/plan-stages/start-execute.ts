/**
 * Starting an Execute: valid spec → ownership (labels, finalizer) → the plan frozen with its workflows →
 * the plan lock (not for a dry run) → the first scheduling step, which writes the frozen plan and the Running phase together.
 * Any refusal ends the execution `Failed` with a message naming the field or the running execution.
 */
import { problemsMessage } from '../../shared/conditions.js';
import { begin } from '../../shared/execution/driver.js';
import { finishUnstarted } from '../../shared/execution/finish.js';
import { takeLock } from '../../shared/execution/lock.js';
import type { Loaded } from '../../shared/execution/objects.js';
import { loadExecution } from '../../shared/execution/objects.js';
import { continuation } from '../../shared/engine/continuation.js';
import { ensureOwnership } from '../../shared/execution/ownership.js';
import type { CoreDeps, Outcome } from '../../shared/function-deps.js';
import { freezeExecution } from './freeze-execution.js';

/** A retry continues an earlier execution: its frozen plan, and what it already did, instead of freezing the plan anew. */
async function continueEarlier(deps: CoreDeps, owned: Loaded, name: string): Promise<Outcome> {
  const earlier = await loadExecution(deps.kube, { name, namespace: owned.id.namespace });
  const start = continuation(owned.execution, earlier?.execution, deps.clock.now());
  if (!start.ok) return finishUnstarted(deps, owned, 'Failed', start.message);
  const lock = await takeLock(deps.kube, owned);
  if (!lock.held) return finishUnstarted(deps, owned, 'Failed', lock.message);
  return begin(deps, owned, start.resolved, start.status);
}

export async function startExecute(deps: CoreDeps, loaded: Loaded): Promise<Outcome> {
  if (loaded.problems.length > 0) return finishUnstarted(deps, loaded, 'Failed', problemsMessage(loaded.problems, [], 'invalid'));
  const owned = await ensureOwnership(deps.kube, loaded);
  const retryOf = owned.execution.spec.retryOf;
  if (retryOf !== undefined) return continueEarlier(deps, owned, retryOf);
  const frozen = await freezeExecution(deps.kube, owned);
  if (!frozen.ok) return finishUnstarted(deps, owned, 'Failed', frozen.message);
  // a dry run changes nothing: it runs beside whatever holds the plan
  if (owned.execution.spec.dryRun === true) return begin(deps, owned, frozen.resolved);
  const lock = await takeLock(deps.kube, owned);
  if (!lock.held) return finishUnstarted(deps, owned, 'Failed', lock.message);
  return begin(deps, owned, frozen.resolved);
}
