/**
 * What the simulated Job controller does with one Job at one moment: a pure decision from the Job as
 * stored (spec, annotations, status) and the time. No pods exist; the status moves as the real Job
 * controller would move it for one pod that runs for the chosen duration and then succeeds or fails
 * (or never ends). Everything is derived from the stored status, so a restarted controller resumes
 * an active Job's timer from `status.startTime`.
 *
 * Annotations (on the Job, or on its pod template; the Job's win): see docs/local-job-controller.md.
 */
import { parseDuration } from '../../shared/api/duration.js';
import { isRecord } from './schema-node.js';

export const OUTCOME_ANNOTATION = 'local.drplan.dev/outcome';
export const DURATION_ANNOTATION = 'local.drplan.dev/duration';
export const DEFAULT_DURATION_MS = 1000;
const DEFAULT_BACKOFF_LIMIT = 6;

export const OUTCOMES = ['succeed', 'fail', 'hang'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface JobPlan {
  outcome: Outcome;
  durationMs: number;
  /** Annotation values that were not understood (the defaults were used instead). */
  problems: string[];
}

export interface Decision {
  /** The new `status` to write (as a whole), when it changes. */
  status?: Record<string, unknown>;
  /** When to look at the Job again (epoch milliseconds), when something is due later. */
  wakeAt?: number;
  /** What happened, for the log. */
  event?: string;
}

type Json = Record<string, unknown>;
const record = (value: unknown): Json => (isRecord(value) ? value : {});
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** RFC 3339 with second precision, as `metav1.Time` is serialised. */
export const timestamp = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

function annotation(job: Json, name: string): string | undefined {
  const own = text(record(record(job.metadata).annotations)[name]);
  const template = text(record(record(record(record(job.spec).template).metadata).annotations)[name]);
  return own ?? template;
}

/** The outcome and duration a Job asked for, with any annotation value that was not understood. */
export function planOf(job: Json): JobPlan {
  const problems: string[] = [];
  const outcomeText = annotation(job, OUTCOME_ANNOTATION);
  const outcome = OUTCOMES.find((o) => o === outcomeText?.trim().toLowerCase());
  if (outcomeText !== undefined && outcome === undefined) {
    problems.push(`${OUTCOME_ANNOTATION}: ${JSON.stringify(outcomeText)} is not one of ${OUTCOMES.join(', ')}; using succeed`);
  }
  const durationText = annotation(job, DURATION_ANNOTATION);
  const parsed = durationText === undefined ? undefined : parseDuration(durationText.trim());
  if (durationText !== undefined && parsed === undefined) {
    problems.push(`${DURATION_ANNOTATION}: ${JSON.stringify(durationText)} is not a Go duration such as 5s or 1m30s; using 1s`);
  }
  return { outcome: outcome ?? 'succeed', durationMs: parsed ?? DEFAULT_DURATION_MS, problems };
}

const conditionsOf = (status: Json): Json[] => (Array.isArray(status.conditions) ? status.conditions.filter(isRecord) : []);

const hasCondition = (status: Json, type: string): boolean => conditionsOf(status).some((c) => c.type === type && c.status === 'True');

export const isFinished = (status: Json): boolean => hasCondition(status, 'Complete') || hasCondition(status, 'Failed');

interface Why {
  reason: string;
  message: string;
}

const COMPLETIONS_REACHED: Why = { reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' };
export const BACKOFF_LIMIT_EXCEEDED: Why = { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
export const DEADLINE_EXCEEDED: Why = { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
const SUSPENDED: Why = { reason: 'JobSuspended', message: 'Job suspended' };
const RESUMED: Why = { reason: 'JobResumed', message: 'Job resumed' };

function condition(type: string, status: 'True' | 'False', why: Why, now: number): Json {
  return { type, status, ...why, lastProbeTime: timestamp(now), lastTransitionTime: timestamp(now) };
}

/** The conditions with `added` replacing any of the same type. */
function withConditions(status: Json, added: readonly Json[]): Json[] {
  const types = new Set(added.map((c) => c.type));
  return [...conditionsOf(status).filter((c) => !types.has(c.type)), ...added];
}

function succeeded(job: Json, now: number): Decision {
  const status = record(job.status);
  const completions = record(job.spec).completions;
  return {
    event: 'Complete',
    status: {
      ...status,
      active: 0,
      ready: 0,
      succeeded: typeof completions === 'number' ? completions : 1,
      completionTime: timestamp(now),
      uncountedTerminatedPods: {},
      conditions: withConditions(status, [
        condition('SuccessCriteriaMet', 'True', COMPLETIONS_REACHED, now),
        condition('Complete', 'True', COMPLETIONS_REACHED, now),
      ]),
    },
  };
}

function failed(job: Json, now: number, why: Why): Decision {
  const status = record(job.status);
  const backoffLimit = record(job.spec).backoffLimit;
  const failures = why === BACKOFF_LIMIT_EXCEEDED ? (typeof backoffLimit === 'number' ? backoffLimit : DEFAULT_BACKOFF_LIMIT) + 1 : 1;
  return {
    event: `Failed (${why.reason})`,
    status: {
      ...status,
      active: 0,
      ready: 0,
      failed: failures,
      uncountedTerminatedPods: {},
      conditions: withConditions(status, [condition('FailureTarget', 'True', why, now), condition('Failed', 'True', why, now)]),
    },
  };
}

function suspend(job: Json, now: number): Decision {
  const status = record(job.status);
  if (hasCondition(status, 'Suspended')) return {};
  const conditions = withConditions(status, [condition('Suspended', 'True', SUSPENDED, now)]);
  return { event: 'Suspended', status: { ...status, active: 0, ready: 0, startTime: null, conditions } };
}

function start(job: Json, plan: JobPlan, now: number): Decision {
  const status = record(job.status);
  const resumed = hasCondition(status, 'Suspended');
  const conditions = resumed ? withConditions(status, [condition('Suspended', 'False', RESUMED, now)]) : status.conditions;
  const next: Json = { ...status, startTime: timestamp(now), active: 1, ready: 0, uncountedTerminatedPods: {} };
  if (conditions !== undefined) next.conditions = conditions;
  const due = progress({ ...job, status: next }, plan, now);
  const wakeAt = due.status === undefined ? due.wakeAt : now;
  const event = `${resumed ? 'Resumed' : 'Started'} (${plan.outcome}${plan.outcome === 'hang' ? '' : ` after ${plan.durationMs}ms`})`;
  return { event, status: next, ...(wakeAt === undefined ? {} : { wakeAt }) };
}

/** An active Job: finish it if its time has come (the deadline first), otherwise say when to look again. */
function progress(job: Json, plan: JobPlan, now: number): Decision {
  const startedAt = Date.parse(text(record(job.status).startTime) ?? '');
  const deadlineSeconds = record(job.spec).activeDeadlineSeconds;
  const deadline = typeof deadlineSeconds === 'number' ? startedAt + deadlineSeconds * 1000 : Number.POSITIVE_INFINITY;
  const finish = plan.outcome === 'hang' ? Number.POSITIVE_INFINITY : startedAt + plan.durationMs;
  if (deadline <= finish && now >= deadline) return failed(job, now, DEADLINE_EXCEEDED);
  if (now >= finish) {
    return plan.outcome === 'fail' ? failed(job, now, BACKOFF_LIMIT_EXCEEDED) : succeeded(job, now);
  }
  const wakeAt = Math.min(deadline, finish);
  return Number.isFinite(wakeAt) ? { wakeAt } : {};
}

/** The next step for `job` at `now` (epoch milliseconds). */
export function decide(job: Json, now: number): Decision {
  const status = record(job.status);
  if (isFinished(status)) return {};
  if (record(job.spec).suspend === true) return suspend(job, now);
  const plan = planOf(job);
  const startedAt = Date.parse(text(status.startTime) ?? '');
  if (Number.isNaN(startedAt) || hasCondition(status, 'Suspended')) return start(job, plan, now);
  return progress(job, plan, now);
}
