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
import { readExecution } from '../../shared/execution/store.js';
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
  const action = findActionStatus(session.loaded.execution.status ?? {}, session.id.path);
  const last = Date.parse(action?.lastUpdateTime ?? '');
  if (action?.phase === 'Running' && session.deps.clock.now().getTime() - last < session.deps.config.heartbeatMs) return;
  await beat(session);
}

/**
 * Whether `job` is the Job this attempt created: the uid run-action recorded after creating it. Labels
 * and annotations can be copied onto any Job by anyone who may create one, and an event can be forged or
 * replayed; a uid recorded in the execution's status cannot.
 */
function isTheAttemptsJob(session: Session, job: KubeObject): boolean {
  const action = findActionStatus(session.loaded.execution.status ?? {}, session.id.path);
  const recorded = action?.attempt === session.id.attempt ? action.outputs?.jobRef : undefined;
  return (
    recorded?.uid !== undefined && recorded.uid === job.metadata.uid && recorded.name === job.metadata.name && recorded.namespace === job.metadata.namespace
  );
}

/** The session of the attempt whose Job `job` is, or undefined when it is not the Job that attempt created. */
async function sessionOfJob(deps: RunActionDeps, job: KubeObject): Promise<Session | undefined> {
  const owner = readOwnership(job.metadata);
  if (owner === undefined) return undefined;
  const log = attemptLog(deps, owner);
  const execution = await readExecution(deps, owner.execution, log);
  if (execution === undefined) return undefined;
  const session = sessionFor(deps, owner, execution, { log });
  if (!session.located.ok || session.located.action.type !== 'Job') return undefined;
  if (isTheAttemptsJob(session, job)) return session;
  log.warn(
    { job: job.metadata.name, namespace: job.metadata.namespace, uid: job.metadata.uid },
    "a Job with this attempt's labels that is not the Job it created: ignored",
  );
  return undefined;
}

export async function onJobChanged(deps: RunActionDeps, job: KubeObject): Promise<Outcome> {
  const session = await sessionOfJob(deps, job);
  if (session === undefined) return [];
  const current = await readJob(deps, job);
  if (current !== undefined && current.metadata.uid !== job.metadata.uid) return [];
  if (current === undefined) {
    const what = describeKey(jobKey(job.metadata.name ?? '', job.metadata.namespace));
    return finishAttempt(session, retryable(`${what} was deleted before it finished`, jobOutputs(job)));
  }
  const result = jobResult(current);
  if (result !== undefined) return finishAttempt(session, result);
  await beatIfDue(session);
  return [];
}
