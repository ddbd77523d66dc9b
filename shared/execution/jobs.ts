/**
 * Stopping the Job of an attempt that timed out or was cancelled. The Job is found by the reference
 * run-action recorded (`outputs.jobRef`), or — when it crashed between creating the Job and recording
 * it — by the labels every Job of that attempt carries. Found and deleted as the execution's
 * ServiceAccount (identity.ts), which created it; with propagation Background, so its pods go too. A
 * failure is logged: the status already says the attempt ended.
 */
import type { DRPlanExecutionStatus, ResolvedPlan } from '../api/index.js';
import type { ActionRequest } from '../engine/schedule-context.js';
import { findActionStatus } from '../engine/status-tree.js';
import type { CoreDeps, Logger } from '../function-deps.js';
import { attemptSelector } from '../job-labels.js';
import type { Kube, ObjectKey } from '../kube/types.js';
import { tenantKube } from './identity.js';
import type { Loaded } from './objects.js';

const JOB = { apiVersion: 'batch/v1', kind: 'Job' } as const;

/** The namespace the attempt's Job runs in: the action's `job.namespace`, else its workflow's namespace. */
function jobNamespace(resolved: ResolvedPlan | undefined, request: ActionRequest, fallback: string): string | undefined {
  const workflow = resolved?.stages?.find((stage) => stage.name === request.stage)?.workflows[request.workflowIndex];
  if (workflow === undefined) return undefined;
  const action = workflow.actions.find((candidate) => candidate.name === request.action);
  if (action?.type !== 'Job') return undefined;
  return action.job?.namespace ?? workflow.workflowRef.namespace ?? fallback;
}

async function jobsOf(deps: CoreDeps, loaded: Loaded, before: DRPlanExecutionStatus, request: ActionRequest): Promise<ObjectKey[]> {
  const ref = findActionStatus(before, request.path)?.outputs?.jobRef;
  if (ref?.name !== undefined) {
    return [{ apiVersion: ref.apiVersion ?? JOB.apiVersion, kind: ref.kind ?? JOB.kind, name: ref.name, namespace: ref.namespace ?? loaded.id.namespace }];
  }
  const namespace = jobNamespace(before.resolved, request, loaded.id.namespace);
  const uid = loaded.object.metadata.uid;
  if (namespace === undefined || uid === undefined) return [];
  const labelSelector = attemptSelector(uid, request.path, request.attempt);
  const jobs = await tenantKube(deps, loaded.execution, loaded.id.namespace).list(JOB.apiVersion, JOB.kind, { namespace, labelSelector });
  return jobs.map((job) => ({ ...JOB, name: job.metadata.name ?? '', namespace }));
}

async function deleteJob(log: Logger, kube: Kube, key: ObjectKey): Promise<void> {
  const removed = await kube.remove(key, { propagationPolicy: 'Background' });
  log.info({ job: key.name, jobNamespace: key.namespace, removed }, 'job of a stopped attempt deleted');
}

/** Deletes the Job of each stopped attempt, found from the status the stop was decided from. */
export async function deleteStoppedJobs(deps: CoreDeps, loaded: Loaded, before: DRPlanExecutionStatus, stopped: readonly ActionRequest[]): Promise<void> {
  for (const request of stopped) {
    const log = deps.log.child({ stage: request.stage, action: request.action, attempt: request.attempt });
    try {
      for (const key of await jobsOf(deps, loaded, before, request)) await deleteJob(log, tenantKube(deps, loaded.execution, loaded.id.namespace), key);
    } catch (error: unknown) {
      log.error({ err: error, path: request.path }, 'deleting the job of a stopped attempt failed');
    }
  }
}
