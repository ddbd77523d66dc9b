/**
 * Starting a Revert: valid spec → ownership (labels, finalizer) → the target checked (same plan, an
 * Execute, Succeeded/Failed/Cancelled, with a frozen plan) → the rollback list → the plan lock → the
 * first scheduling step, which writes the rollback plan, its initial status and the Running phase.
 * Any refusal ends the Revert `Failed` with a message naming the field.
 */
import { problemsMessage } from '../../shared/conditions.js';
import { checkRevertTarget } from '../../shared/engine/rollback.js';
import { initialRevertStatus } from '../../shared/engine/revert-plan.js';
import { begin } from '../../shared/execution/driver.js';
import { finishUnstarted } from '../../shared/execution/finish.js';
import { takeLock } from '../../shared/execution/lock.js';
import type { Loaded } from '../../shared/execution/objects.js';
import { loadExecution } from '../../shared/execution/objects.js';
import { ensureOwnership } from '../../shared/execution/ownership.js';
import type { CoreDeps, Outcome } from '../../shared/function-deps.js';
import { buildRollback } from './rollback-list.js';
import { API_VERSION, Kinds } from '../../shared/api/index.js';
import { isRecord } from '../../shared/type-utils.js';

async function loadTarget(deps: CoreDeps, revert: Loaded): Promise<Loaded | undefined> {
  const name = revert.execution.spec.revertExecutionRef ?? '';
  return name === '' ? undefined : loadExecution(deps.kube, { name, namespace: revert.id.namespace });
}

/** An execution a retry continued: the retry holds its work (and undoes it), so this one is not reverted on its own. */
async function retriedBy(deps: CoreDeps, target: Loaded): Promise<string | undefined> {
  const executions = await deps.kube.list(API_VERSION, Kinds.execution, { namespace: target.id.namespace });
  const retry = executions.find((object) => isRecord(object.spec) && object.spec.retryOf === target.id.name);
  if (retry === undefined) return undefined;
  const name = retry.metadata.name ?? '';
  return `spec.revertExecutionRef: execution "${target.id.name}" was continued by the retry "${name}", which holds its work: revert "${name}" instead (it undoes both)`;
}

export async function startRevert(deps: CoreDeps, loaded: Loaded): Promise<Outcome> {
  if (loaded.problems.length > 0) return finishUnstarted(deps, loaded, 'Failed', problemsMessage(loaded.problems, [], 'invalid'));
  const owned = await ensureOwnership(deps.kube, loaded);
  const target = await loadTarget(deps, owned);
  const problem = checkRevertTarget(owned.execution, target?.execution) ?? (target === undefined ? undefined : await retriedBy(deps, target));
  if (problem !== undefined || target === undefined) return finishUnstarted(deps, owned, 'Failed', problem ?? 'spec.revertExecutionRef: required');
  const rollback = await buildRollback(deps.kube, owned, target);
  if (!rollback.ok) return finishUnstarted(deps, owned, 'Failed', rollback.message);
  const lock = await takeLock(deps.kube, owned);
  if (!lock.held) return finishUnstarted(deps, owned, 'Failed', lock.message);
  return begin(deps, owned, rollback.resolved, initialRevertStatus(rollback.resolved, deps.clock.now()));
}
