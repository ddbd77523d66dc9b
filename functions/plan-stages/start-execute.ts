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
import { ensureOwnership } from '../../shared/execution/ownership.js';
import type { CoreDeps, Outcome } from '../../shared/function-deps.js';
import { freezeExecution } from './freeze-execution.js';

export async function startExecute(deps: CoreDeps, loaded: Loaded): Promise<Outcome> {
  if (loaded.problems.length > 0) return finishUnstarted(deps, loaded, 'Failed', problemsMessage(loaded.problems, [], 'invalid'));
  const owned = await ensureOwnership(deps.kube, loaded);
  const frozen = await freezeExecution(deps.kube, owned);
  if (!frozen.ok) return finishUnstarted(deps, owned, 'Failed', frozen.message);
  // a dry run changes nothing: it runs beside whatever holds the plan
  if (owned.execution.spec.dryRun === true) return begin(deps, owned, frozen.resolved);
  const lock = await takeLock(deps.kube, owned);
  if (!lock.held) return finishUnstarted(deps, owned, 'Failed', lock.message);
  return begin(deps, owned, frozen.resolved);
}
