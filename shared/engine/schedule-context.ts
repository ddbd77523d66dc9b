/** What one scheduling decision accumulates, and the small helpers every step of it shares. */
import type { StageStatus, WorkflowExecutionStatus } from '../api/index.js';
import { formatDuration } from '../api/index.js';
import type { TransitionEvent } from './transitions.js';
import type { ActionView } from './status-tree.js';

export interface ScheduleOptions {
  /** A request not claimed within this time is requested again (same attempt). Default 30s. */
  requestTimeoutMs?: number;
  /** A Running attempt without progress for this long becomes Unknown and is requested again. Default 120s. */
  unknownAfterMs?: number;
}

/** One attempt to request from run-action; its identity is execution uid + path + attempt. */
export interface ActionRequest {
  path: string;
  stage: string;
  workflowIndex: number;
  action: string;
  attempt: number;
}

export interface DecisionContext {
  now: Date;
  /** `now` as the status writes it. */
  at: string;
  requestTimeoutMs: number;
  unknownAfterMs: number;
  /**
   * False while the decision first settles what already happened (completions, skips, stops); only then
   * may stages and workflows start and actions be requested — so a failure is known before anything new
   * starts, whatever the order in which stages and workflows are visited.
   */
  allowStarts: boolean;
  /** The execution is paused: nothing new starts (no stage, workflow or first attempt); what runs goes on. */
  paused: boolean;
  /** The pause has just ended: requests that waited for it are made again at once. */
  resuming: boolean;
  /** Actions skipped by decision (path → reason). */
  skips: Readonly<Record<string, string>>;
  requests: ActionRequest[];
  timedOut: ActionRequest[];
  cancelled: ActionRequest[];
  events: TransitionEvent[];
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_UNKNOWN_AFTER_MS = 120_000;

export function newContext(now: Date, options: ScheduleOptions | undefined): DecisionContext {
  return {
    now,
    at: now.toISOString(),
    requestTimeoutMs: options?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    unknownAfterMs: options?.unknownAfterMs ?? DEFAULT_UNKNOWN_AFTER_MS,
    allowStarts: false,
    paused: false,
    resuming: false,
    skips: {},
    requests: [],
    timedOut: [],
    cancelled: [],
    events: [],
  };
}

/** The message of an action a person decided to skip (live, or in a retry): it counts as done. */
export const SKIPPED_BY_DECISION = 'skipped by decision';

export function requestFor(view: ActionView): ActionRequest {
  return { path: view.path, stage: view.stage, workflowIndex: view.workflowIndex, action: view.spec.name, attempt: view.status.attempt ?? 1 };
}

/** `1 stage`, `3 stages`. */
export const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

/** Milliseconds from `iso` to `now`; `Infinity` when the time is missing or unreadable (treated as long ago). */
export function elapsedMs(iso: string | undefined, now: Date): number {
  const then = Date.parse(iso ?? '');
  return Number.isNaN(then) ? Number.POSITIVE_INFINITY : now.getTime() - then;
}

/** Sets an optional text field, or removes it (never leaves an `undefined` key behind). */
export function setMessage(node: { message?: string | undefined }, message: string | undefined): void {
  if (message === undefined) delete node.message;
  else node.message = message;
}

type Node = StageStatus | WorkflowExecutionStatus;

export function startNode(node: Node, at: string): void {
  node.phase = 'Running';
  node.startTime ??= at;
}

/** Moves a stage or workflow to its final phase, with its completion time and duration. */
export function finishNode(node: Node, phase: 'Succeeded' | 'Failed' | 'Skipped', message: string | undefined, at: string): void {
  node.phase = phase;
  setMessage(node, message);
  node.completionTime = at;
  const started = Date.parse(node.startTime ?? '');
  if (!Number.isNaN(started)) node.duration = formatDuration(Math.max(0, Date.parse(at) - started));
}
