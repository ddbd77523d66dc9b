/** The contract between the run-action core and the executors of each action type. */
import type { Action, ActionOutputs } from '../../shared/api/index.js';
import type { AttemptResult } from '../../shared/engine/attempt.js';
import type { Logger } from '../../shared/function-deps.js';
import type { AttemptIdentity } from '../../shared/job-labels.js';
import type { RunActionDeps } from './deps.js';
import type { Kube } from '../../shared/kube/types.js';

export interface ExecutorContext {
  deps: RunActionDeps;
  /**
   * The Kubernetes API as the plan's ServiceAccount (impersonated): every change an action makes to the
   * cluster goes through it, so the tenant's RBAC bounds what a plan can do. `deps.kube` is run-action's
   * own identity, for its own objects only (the execution, Events, watching its Jobs).
   */
  kube: Kube;
  /** `system:serviceaccount:<namespace>:<name>`: who `kube` acts as. */
  actingAs: string;
  /** The attempt being run: execution (name, namespace, uid), action path, attempt number, operation. */
  id: AttemptIdentity;
  /** The frozen, rendered action (a rollback action in a Revert). */
  action: Action;
  /** The namespace of the action's workflow: where objects without a namespace go. */
  namespace: string;
  /** The action's outputs as recorded before this attempt ran (earlier attempts, or an interrupted run of this one). */
  recorded: ActionOutputs | undefined;
  /**
   * Persists outputs on the running attempt before the executor changes anything (the prior state of
   * an object about to be patched, the reference of a created Job). Throws `AttemptLostError` when the
   * attempt is no longer this one's to run (timed out, cancelled, recorded by someone else).
   */
  saveOutputs(outputs: ActionOutputs): Promise<void>;
  log: Logger;
  /**
   * This attempt was sent before (it was resumed after contact was lost, or re-driven after its
   * timeout): a request with its Idempotency-Key may still be in progress at the target.
   */
  resent?: boolean;
  /** Aborted, with the reason, when the attempt is no longer wanted while it runs (cancelled, timed out): stop, and report what is known. */
  signal?: AbortSignal | undefined;
  /**
   * A dry run (`spec.dryRun`): `kube` sends every write as a server-side dry run, and the executors say
   * what would have happened instead of doing it; HTTP sends only the action's `http.dryRun` request.
   */
  dryRun?: boolean | undefined;
}

/** `finished`: the attempt's result is known now; `running`: it ends later (a Job), reported by `onJob`. */
export type ExecutorOutcome = { state: 'finished'; result: AttemptResult } | { state: 'running' };

export const finished = (result: AttemptResult): ExecutorOutcome => ({ state: 'finished', result });

/** A failure no retry can fix: the action as written cannot work. */
export const fatal = (message: string, outputs?: ActionOutputs): AttemptResult =>
  outputs === undefined ? { ok: false, retryable: false, message } : { ok: false, retryable: false, message, outputs };

export const retryable = (message: string, outputs?: ActionOutputs): AttemptResult =>
  outputs === undefined ? { ok: false, retryable: true, message } : { ok: false, retryable: true, message, outputs };

/** What an action would record does not fit in the execution's status: the action fails before it changes anything. */
export class OverBudgetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OverBudgetError';
  }
}

/** The attempt was taken from us (timed out, cancelled, or already recorded): stop, write nothing more. */
export class AttemptLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AttemptLostError';
  }
}
