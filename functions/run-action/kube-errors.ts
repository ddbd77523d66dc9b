/**
 * How a failed Kubernetes call on an action's target becomes an attempt result: 429, 5xx and network
 * errors are retried by the action's retry policy; any other 4xx (Forbidden, Invalid, NotFound…) is
 * the request's fault and fails the action with the API's message.
 */
import type { AttemptResult } from '../../shared/engine/attempt.js';
import { statusCodeOf } from '../../shared/errors.js';

export function reasonOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const reason = (error as { reason?: unknown }).reason;
  return typeof reason === 'string' ? reason : undefined;
}

export function isAlreadyExists(error: unknown): boolean {
  if (statusCodeOf(error) !== 409) return false;
  const reason = reasonOf(error);
  return reason === undefined || reason === 'AlreadyExists';
}

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export function isRetryableApiError(error: unknown): boolean {
  const code = statusCodeOf(error);
  return code === undefined || code === 429 || code >= 500;
}

/** A failed attempt for an error of the API call described by `what` (e.g. `creating Job ns/name`). */
export function apiFailure(error: unknown, what: string): AttemptResult {
  const code = statusCodeOf(error);
  const reason = reasonOf(error);
  const status = code === undefined ? '' : ` (${reason === undefined ? code : `${code} ${reason}`})`;
  return { ok: false, retryable: isRetryableApiError(error), message: `${what} failed${status}: ${messageOf(error)}` };
}
