/**
 * run-action: runs one attempt of one action idempotently — HTTP, Job, KubernetesResource, Localization,
 * Subscription, and the rollback actions of a Revert (the same executors). Woken by action.requested and
 * by changes of the Jobs it created; replies action.finished when an attempt ends.
 */
import type { ActionRequested } from '../../shared/event-data.js';
import type { Outcome } from '../../shared/function-deps.js';
import type { KubeObject } from '../../shared/kube/types.js';
import { runAttempt } from './attempt-runner.js';
import type { RunActionDeps } from './deps.js';
import { StatusWrites } from '../../shared/execution/store.js';
import { onJobChanged } from './job-events.js';
import { StopWatch } from './stop-watch.js';
import { resumeEarlierBoots } from './takeover.js';

export type { RunActionDeps } from './deps.js';
export type { RunActionConfig } from './config.js';

export interface RunAction {
  onActionRequested(data: ActionRequested): Promise<Outcome>;
  onJob(job: KubeObject): Promise<Outcome>;
}

/**
 * The core, one per process. With `holder` set it first resumes, in the background, what an earlier
 * boot of its pod was running when it died (takeover.ts).
 */
export function createRunAction(given: RunActionDeps): RunAction {
  const deps: RunActionDeps = {
    ...given,
    statusWrites: given.statusWrites ?? new StatusWrites(),
    stopWatch: given.stopWatch ?? new StopWatch(given.kube, given.config.stopCheckMs, given.log),
  };
  const { holder } = deps;
  if (holder !== undefined) {
    resumeEarlierBoots(deps, holder).catch((error: unknown) => {
      deps.log.error({ err: error }, 'could not look for attempts an earlier boot held; the resync duties will find them');
    });
  }
  return {
    onActionRequested: (data) => runAttempt(deps, { execution: data.execution, path: data.path, attempt: data.attempt, operationType: data.operationType }),
    onJob: (job) => onJobChanged(deps, job),
  };
}
