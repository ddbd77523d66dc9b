/**
 * A change of one of our Jobs (add/update/delete events of Jobs with our labels). The Job is read again
 * (the event is a hint); its labels and annotations name the execution, the action path and the attempt.
 * Complete → the attempt succeeded; Failed → it failed (retried per policy, with a new Job); deleted
 * before finishing → it failed (retryable); still running → a heartbeat, at most every `heartbeatMs` (30s).
 */
import { findActionStatus } from '../../shared/engine/status-tree.js';
import { toHandlerError } from '../../shared/errors.js';
import type { Outcome } from '../../shared/function-deps.js';
import { readOwnership } from '../../shared/job-labels.js';
import type { KubeObject } from '../../shared/kube/types.js';
import type { Session } from './attempt-runner.js';
import { attemptLog, beat, finishAttempt, sessionFor } from './attempt-runner.js';
import type { RunActionDeps } from './deps.js';
import { readExecution } from './execution-store.js';
import { retryable } from './executor.js';
import { jobKey, jobOutputs, jobResult } from './job.js';
import { describeKey } from './manifest.js';

async function readJob(deps: RunActionDeps, job: KubeObject): Promise<KubeObject | undefined> {
  const key = jobKey(job.metadata.name ?? '', job.metadata.namespace);
  try {
    return await deps.kube.get(key);
  } catch (error: unknown) {
    throw toHandlerError(error, `reading ${describeKey(key)}`);
  }
}

/** A beat unless the attempt is Running and showed progress within the heartbeat interval. */
async function beatIfDue(session: Session): Promise<void> {
  const action = findActionStatus(session.execution.status ?? {}, session.id.path);
  const last = Date.parse(action?.lastUpdateTime ?? '');
  if (action?.phase === 'Running' && session.deps.clock.now().getTime() - last < session.deps.config.heartbeatMs) return;
  await beat(session);
}

export async function onJobChanged(deps: RunActionDeps, job: KubeObject): Promise<Outcome> {
  const owner = readOwnership(job.metadata);
  if (owner === undefined) return [];
  const log = attemptLog(deps, owner);
  const execution = await readExecution(deps, owner.execution, log);
  if (execution === undefined) return [];
  const session = sessionFor(deps, owner, execution, { log });
  if (!session.located.ok || session.located.action.type !== 'Job') return [];
  const current = await readJob(deps, job);
  if (current === undefined) {
    const what = describeKey(jobKey(job.metadata.name ?? '', job.metadata.namespace));
    return finishAttempt(session, retryable(`${what} was deleted before it finished`, jobOutputs(job)));
  }
  const result = jobResult(current);
  if (result !== undefined) return finishAttempt(session, result);
  await beatIfDue(session);
  return [];
}
