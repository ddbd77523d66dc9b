/**
 * Status conditions (metav1.Condition semantics): one condition per `type`, and `lastTransitionTime`
 * moves only when `status` changes — a new reason or message alone keeps the time of the transition.
 */
import type { Condition } from './api/common.js';
import type { Problem } from './engine/problems.js';

export const ConditionTypes = {
  ready: 'Ready',
} as const;

/** Everything of a condition except its transition time, which `setCondition` decides. */
export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

/**
 * Returns a new list in which the condition of `input.type` is replaced (or appended, keeping the
 * order of the others). `lastTransitionTime` is kept when the status did not change, else set to `now`.
 */
export function setCondition(conditions: readonly Condition[] | undefined, input: ConditionInput, now: Date): Condition[] {
  const list = conditions ?? [];
  const previous = list.find((condition) => condition.type === input.type);
  const lastTransitionTime = previous !== undefined && previous.status === input.status ? previous.lastTransitionTime : now.toISOString();
  const next = withoutUndefined({ ...input, lastTransitionTime });
  if (previous === undefined) return [...list, next];
  return list.map((condition) => (condition === previous ? next : condition));
}

/** The conditions a person waits on when an execution ends (`kubectl wait --for=condition=Succeeded drpe/x`). */
export const EndConditions = { succeeded: 'Succeeded', failed: 'Failed', complete: 'Complete' } as const;

/**
 * The end of an execution as conditions: `Complete` (it is over, whatever the outcome: reason = phase),
 * `Succeeded` and `Failed`, each True or False — so `kubectl wait` on any of them returns at the end,
 * and on a False one a script sees why in the message.
 */
export function endConditions(
  conditions: readonly Condition[] | undefined,
  phase: 'Succeeded' | 'Failed' | 'Cancelled',
  message: string,
  now: Date,
): Condition[] {
  const entry = (type: string, holds: boolean): ConditionInput => ({ type, status: holds ? 'True' : 'False', reason: phase, message });
  let next = setCondition(conditions, entry(EndConditions.complete, true), now);
  next = setCondition(next, entry(EndConditions.succeeded, phase === 'Succeeded'), now);
  return setCondition(next, entry(EndConditions.failed, phase === 'Failed'), now);
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((condition) => condition.type === type);
}

/** True when both lists hold the same conditions, ignoring `lastTransitionTime` and order. */
export function sameConditions(a: readonly Condition[] | undefined, b: readonly Condition[] | undefined): boolean {
  const left = a ?? [];
  const right = b ?? [];
  if (left.length !== right.length) return false;
  return left.every((condition) => {
    const other = findCondition(right, condition.type);
    return other !== undefined && sameIgnoringTime(condition, other);
  });
}

function sameIgnoringTime(a: Condition, b: Condition): boolean {
  return a.status === b.status && a.reason === b.reason && a.message === b.message && a.observedGeneration === b.observedGeneration;
}

/** `observedGeneration: undefined` must not reach a JSON merge patch (it would read as "absent" anyway). */
function withoutUndefined(condition: Condition): Condition {
  if (condition.observedGeneration !== undefined) return condition;
  const { observedGeneration: _omitted, ...rest } = condition;
  return rest;
}

/** Longest condition message we write; the API allows 32768, `kubectl describe` readers want far less. */
export const MAX_CONDITION_MESSAGE = 4096;

const formatProblem = ({ path, message }: Problem): string => (path === '' ? message : `${path}: ${message}`);

/**
 * A condition message naming each problem's field, then each warning marked as such:
 * `spec.actions[2].http.url: required; warning: spec.actions[0].http.url: …`. Cut at a whole entry
 * (`…; and 3 more`) when longer than `MAX_CONDITION_MESSAGE`. `ok` is used when there is nothing to say.
 */
export function problemsMessage(problems: readonly Problem[], warnings: readonly Problem[], ok: string): string {
  const entries = [...problems.map(formatProblem), ...warnings.map((w) => `warning: ${formatProblem(w)}`)];
  if (entries.length === 0) return ok;
  let message = '';
  for (const [index, entry] of entries.entries()) {
    const next = message === '' ? entry : `${message}; ${entry}`;
    // Room is kept for the `; and N more` tail.
    if (next.length > MAX_CONDITION_MESSAGE - 32 && message !== '') return `${message}; and ${entries.length - index} more`;
    message = next;
  }
  return message.length > MAX_CONDITION_MESSAGE ? `${message.slice(0, MAX_CONDITION_MESSAGE - 1)}…` : message;
}
