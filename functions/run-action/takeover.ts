/**
 * Recovery at start. When run-action's container restarts in its pod (it crashed, was OOM-killed, was
 * killed), the attempts its earlier boot was running are lost with it, but their status still says
 * `Running`: left alone, they would wait for their timeout and the next resync tick (ADR 5). The new
 * boot knows better: an attempt held by an earlier boot of its own pod cannot be running. So at start
 * it finds them (one list of the executions), marks each `Unknown` — its effect may or may not have
 * happened — and resumes it here at once with the same identity (the same Idempotency-Key, the same
 * object names), as a resync would after the silence; what follows is chained and sent to the broker.
 */
import { API_VERSION, Kinds, type ActionStatus, type DRPlanExecutionStatus } from '../../shared/api/index.js';
import { actionPath } from '../../shared/engine/action-path.js';
import { withActionCopy } from '../../shared/engine/status-tree.js';
import { isFinalPhase } from '../../shared/execution/objects.js';
import type { Logger } from '../../shared/function-deps.js';
import type { AttemptIdentity } from '../../shared/job-labels.js';
import { runAttempt } from './attempt-runner.js';
import type { RunActionDeps } from './deps.js';
import { toRunnable, type Loaded } from '../../shared/execution/objects.js';
import { updateStatus } from '../../shared/execution/store.js';
import { holderId, isEarlierBoot, type Holder } from './holder.js';

/** The attempts of `execution` held by an earlier boot of `me`. */
export function orphanedAttempts(loaded: Loaded, me: Holder): AttemptIdentity[] {
  const status = loaded.execution.status ?? {};
  if (isFinalPhase(status.phase) || loaded.object.metadata.deletionTimestamp !== undefined) return [];
  const { name = '', namespace = '', uid = '' } = loaded.object.metadata;
  return (status.stageStatuses ?? []).flatMap((stage) =>
    (stage.workflowExecutions ?? []).flatMap((workflow, index) =>
      (workflow.actionStatuses ?? [])
        .filter((action) => (action.phase === 'Running' || action.phase === 'Unknown') && isEarlierBoot(action.holder, me))
        .map((action) => ({
          execution: { name, namespace, uid },
          path: actionPath(stage.name, index, action.name),
          attempt: action.attempt ?? 1,
          operationType: loaded.execution.spec.operationType,
        })),
    ),
  );
}

/** The status with the orphaned attempt `Unknown` and released, or undefined when it is no longer the one we found. */
function markLost(status: DRPlanExecutionStatus, id: AttemptIdentity, me: Holder, at: string): DRPlanExecutionStatus | undefined {
  const copy = withActionCopy(status, id.path);
  const action: ActionStatus | undefined = copy?.action;
  if (copy === undefined || action?.attempt !== id.attempt || !isEarlierBoot(action.holder, me)) return undefined;
  if (action.phase !== 'Running' && action.phase !== 'Unknown') return undefined;
  action.phase = 'Unknown';
  action.message = `run-action ${me.instance} restarted while attempt ${id.attempt} ran; resumed with the same identity`;
  action.lastUpdateTime = at;
  delete action.holder;
  return copy.next;
}

async function resume(deps: RunActionDeps, me: Holder, id: AttemptIdentity, log: Logger): Promise<void> {
  const at = deps.clock.now().toISOString();
  const marked = await updateStatus(
    deps,
    id.execution,
    (loaded) => {
      const next = markLost(loaded.execution.status ?? {}, id, me, at);
      return next === undefined ? undefined : { status: next, value: true };
    },
    { log },
  );
  if (marked === undefined) return;
  log.warn(
    { execution: id.execution.name, namespace: id.execution.namespace, path: id.path, attempt: id.attempt },
    'resuming an attempt an earlier boot of this pod was running',
  );
  const outcome = await runAttempt(deps, id);
  await deps.emit?.(outcome);
}

/** Finds and resumes every attempt an earlier boot of this pod held; failures are logged (the resync duties remain). */
export async function resumeEarlierBoots(deps: RunActionDeps, me: Holder): Promise<number> {
  const log = deps.log.child({ holder: holderId(me) });
  const objects = await deps.kube.list(API_VERSION, Kinds.execution);
  const orphans = objects.flatMap((object) => {
    const loaded = toRunnable(object, log);
    return loaded === undefined ? [] : orphanedAttempts(loaded, me);
  });
  const results = await Promise.allSettled(orphans.map((id) => resume(deps, me, id, log)));
  for (const result of results) {
    if (result.status === 'rejected') log.error({ err: result.reason }, 'an orphaned attempt could not be resumed; the resync duties will');
  }
  return orphans.length;
}
