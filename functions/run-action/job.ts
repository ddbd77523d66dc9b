/**
 * Job actions. run-action creates the Job (deterministic name, our labels) and returns; the Job's
 * completion arrives later as an event on the Job (`onJob`). The Job has no owner reference to the
 * execution: a Revert must still find (and delete) the Jobs of an execution, even one deleted since.
 * `activeDeadlineSeconds` defaults to the action's timeout, so a Job stops even while drplan is down.
 */
import type { ActionOutputs, ObjectReference } from '../../shared/api/index.js';
import type { AttemptResult } from '../../shared/engine/attempt.js';
import { actionTimeoutMs } from '../../shared/engine/resync.js';
import { isOwnedBy, jobName, ownershipAnnotations, ownershipLabels } from '../../shared/job-labels.js';
import type { KubeObject, ObjectKey } from '../../shared/kube/types.js';
import type { ExecutorContext, ExecutorOutcome } from './executor.js';
import { fatal, finished, retryable } from './executor.js';
import { apiFailure, isAlreadyExists } from './kube-errors.js';
import { describeKey, referenceTo } from './manifest.js';
import { isRecord } from '../../shared/type-utils.js';

export const JOB_API_VERSION = 'batch/v1';
export const JOB_KIND = 'Job';

function stringMap(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

export const jobKey = (name: string, namespace: string | undefined): ObjectKey => ({ apiVersion: JOB_API_VERSION, kind: JOB_KIND, name, namespace });

/** The Job of this attempt, from the action's template. */
export function buildJob(ctx: ExecutorContext, key: ObjectKey): KubeObject {
  const job = ctx.action.job;
  const template = job?.template;
  const metadata = isRecord(template?.metadata) ? template.metadata : {};
  const spec: Record<string, unknown> = { ...template?.spec };
  if (job?.ttlSecondsAfterFinished !== undefined) spec.ttlSecondsAfterFinished = job.ttlSecondsAfterFinished;
  const timeout = actionTimeoutMs(ctx.action.timeout);
  if (spec.activeDeadlineSeconds === undefined && timeout !== undefined) spec.activeDeadlineSeconds = Math.max(1, Math.ceil(timeout / 1000));
  return {
    apiVersion: JOB_API_VERSION,
    kind: JOB_KIND,
    metadata: {
      name: key.name,
      namespace: key.namespace,
      labels: { ...stringMap(metadata.labels), ...ownershipLabels(ctx.id) },
      annotations: { ...stringMap(metadata.annotations), ...ownershipAnnotations(ctx.id) },
    },
    spec,
  };
}

interface JobCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

function conditionsOf(job: KubeObject): JobCondition[] {
  const status = isRecord(job.status) ? job.status : {};
  const list = Array.isArray(status.conditions) ? (status.conditions as unknown[]) : [];
  return list.filter((c): c is JobCondition => isRecord(c) && typeof c.type === 'string' && typeof c.status === 'string');
}

export function jobReference(job: KubeObject): ObjectReference {
  return referenceTo(jobKey(job.metadata.name ?? '', job.metadata.namespace), job);
}

export const jobOutputs = (job: KubeObject): ActionOutputs => ({ jobRef: jobReference(job), created: true });

/** The attempt's result when the Job finished (condition Complete or Failed is True), else `undefined`. */
export function jobResult(job: KubeObject): AttemptResult | undefined {
  const conditions = conditionsOf(job).filter((c) => c.status === 'True');
  const what = describeKey(jobKey(job.metadata.name ?? '', job.metadata.namespace));
  const outputs = jobOutputs(job);
  if (conditions.some((c) => c.type === 'Complete')) return { ok: true, message: `${what} completed`, outputs };
  const failed = conditions.find((c) => c.type === 'Failed');
  if (failed === undefined) return undefined;
  const detail = [failed.reason, failed.message].filter((part) => part !== undefined && part !== '').join(': ');
  return retryable(`${what} failed${detail === '' ? '' : `: ${detail}`}`, outputs);
}

/**
 * Whether an existing Job of this name may be taken as the one this attempt created: its uid is the one
 * recorded after the create, or — when the run was interrupted between the create and that record — the
 * attempt had recorded that it was about to create it (a reference without uid) and the Job carries this
 * attempt's labels. A Job made by anyone else under the predictable name is never adopted.
 */
function mayAdopt(ctx: ExecutorContext, existing: KubeObject, key: ObjectKey): boolean {
  const recorded = ctx.recorded?.jobRef;
  if (recorded?.name !== key.name || recorded.namespace !== key.namespace) return false;
  if (recorded.uid !== undefined) return recorded.uid === existing.metadata.uid;
  return isOwnedBy(existing.metadata, ctx.id);
}

async function createOrAdopt(ctx: ExecutorContext, job: KubeObject, key: ObjectKey): Promise<KubeObject | AttemptResult> {
  // The intent first: a run interrupted after the create can then tell its own Job from another's.
  if (ctx.recorded?.jobRef?.name !== key.name) await ctx.saveOutputs({ jobRef: referenceTo(key) });
  try {
    return await ctx.kube.create(job);
  } catch (error: unknown) {
    if (!isAlreadyExists(error)) return apiFailure(error, `creating ${describeKey(key)}`);
  }
  let existing: KubeObject | undefined;
  try {
    existing = await ctx.kube.get(key);
  } catch (error: unknown) {
    return apiFailure(error, `reading ${describeKey(key)}`);
  }
  if (existing === undefined) return retryable(`${describeKey(key)} already existed but was gone when read again`);
  if (!mayAdopt(ctx, existing, key)) return fatal(`${describeKey(key)} already exists, not created by this action`);
  return existing;
}

const isResult = (value: KubeObject | AttemptResult): value is AttemptResult => 'ok' in value;

/** A dry run: the Job is sent as a server-side dry run (admission and RBAC as the plan's account), never run. */
async function rehearseJob(ctx: ExecutorContext, job: KubeObject, key: ObjectKey): Promise<AttemptResult> {
  try {
    await ctx.kube.create(job);
  } catch (error: unknown) {
    return apiFailure(error, `dry run: creating ${describeKey(key)} as ${ctx.actingAs}`);
  }
  return { ok: true, message: `dry run: would create ${describeKey(key)} as ${ctx.actingAs} (the API server admitted it; it was not run)` };
}

/**
 * Creates the attempt's Job (an existing one of ours counts as created) and records its reference; the
 * action stays Running until `onJob` sees it finish — unless it already has (a lost event, a re-run).
 */
export async function runJob(ctx: ExecutorContext): Promise<ExecutorOutcome> {
  const config = ctx.action.job;
  if (config === undefined) return finished(fatal('job: is required for a Job action'));
  const key = jobKey(jobName(ctx.id, ctx.action.name), config.namespace ?? ctx.namespace);
  const manifest = buildJob(ctx, key);
  ctx.log.debug({ job: manifest }, 'job manifest');
  if (ctx.dryRun === true) return finished(await rehearseJob(ctx, manifest, key));
  const job = await createOrAdopt(ctx, manifest, key);
  if (isResult(job)) return finished(job);
  const result = jobResult(job);
  if (result !== undefined) return finished(result);
  await ctx.saveOutputs(jobOutputs(job));
  ctx.log.info({ job: key.name, namespace: key.namespace }, 'job created');
  // A Job that finished before its uid was recorded had its events ignored (job-events.ts): look again.
  const again = await ctx.kube.get(key).catch(() => undefined);
  const late = again !== undefined && again.metadata.uid === job.metadata.uid ? jobResult(again) : undefined;
  return late === undefined ? { state: 'running' } : finished(late);
}
