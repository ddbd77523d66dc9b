/**
 * Delivering one event to one subscriber the way Knative's dispatcher does: POST (binary mode unless
 * the delivery spec says `format: json`), retry 5xx, 404, 408, 409, 429 and network errors or
 * timeouts up to `retry` times with linear or exponential backoff (retry n, counted from 0, waits
 * `backoffDelay × n` or `backoffDelay × 2^n`), give up at once on any other status. A 2xx answer may
 * carry a reply CloudEvent; a non-empty answer that is not one counts as a failed attempt (502), as in
 * Knative, which is what catches a reply silently turned into JSON.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { CloudEventError, encodingOf, readHttpEvent, toBinary, toStructuredMessage, type CloudEvent } from './cloudevent.js';
import { parseIsoDuration } from './durations.js';
import type { DeliverySpec } from './knative-schemas.js';

export interface DeliveryPolicy {
  /** Retries after the first attempt. */
  retry: number;
  backoffPolicy: 'linear' | 'exponential';
  backoffDelayMs: number;
  /** Per attempt. */
  timeoutMs: number;
  /** When set, a `Retry-After` on 429/503 is honoured up to this long. */
  retryAfterMaxMs?: number | undefined;
  format: 'binary' | 'json';
}

/** Without any delivery spec: no retries (a Broker gets Knative's cluster default first, see broker.ts). */
export const NO_RETRIES: DeliveryPolicy = { retry: 0, backoffPolicy: 'exponential', backoffDelayMs: 0, timeoutMs: 300_000, format: 'binary' };

/** Knative's `config-br-defaults`: what the webhook puts on a Broker that has no delivery spec. */
export const BROKER_DEFAULT_DELIVERY: DeliverySpec = { retry: 10, backoffPolicy: 'exponential', backoffDelay: 'PT0.2S' };

const durationMs = (text: string | undefined, fallback: number): number => (text === undefined ? fallback : (parseIsoDuration(text) ?? fallback));

/** The policy of a delivery spec (the Trigger's when it has one, else the Broker's: Knative does not merge them). */
export function policyOf(spec: DeliverySpec | undefined): DeliveryPolicy {
  if (spec === undefined) return NO_RETRIES;
  return {
    retry: spec.retry ?? 0,
    backoffPolicy: spec.backoffPolicy ?? 'exponential',
    backoffDelayMs: durationMs(spec.backoffDelay, 0),
    timeoutMs: durationMs(spec.timeout, NO_RETRIES.timeoutMs),
    retryAfterMaxMs: spec.retryAfterMax === undefined ? undefined : durationMs(spec.retryAfterMax, 0),
    format: spec.format ?? 'binary',
  };
}

/** How long to wait before retry `n` (0 for the first retry). */
export function backoffMs(policy: DeliveryPolicy, n: number): number {
  return policy.backoffPolicy === 'linear' ? policy.backoffDelayMs * n : policy.backoffDelayMs * 2 ** n;
}

/** Knative's SelectiveRetry: which statuses are worth another attempt (undefined = no response at all). */
export function isRetryable(status: number | undefined): boolean {
  if (status === undefined) return true;
  return status >= 500 || status === 404 || status === 408 || status === 409 || status === 429;
}

export interface Attempt {
  status?: number | undefined;
  /** Why the attempt failed (undefined when it succeeded). */
  error?: string | undefined;
  /** The response body of a failed attempt (at most 1 KiB), for `knativeerrordata`. */
  body?: Buffer | undefined;
  reply?: CloudEvent | undefined;
  retryAfterMs?: number | undefined;
}

export interface DeliveryResult extends Attempt {
  ok: boolean;
  attempts: number;
}

const ERROR_DATA_LIMIT = 1024;

function retryAfterOf(headers: Headers, status: number): number | undefined {
  const value = headers.get('retry-after');
  if (value === null || (status !== 429 && status !== 503)) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function replyOf(status: number, headers: Headers, body: Buffer): Attempt {
  const plain = Object.fromEntries(headers.entries());
  if (encodingOf(plain) === 'none') {
    return body.length === 0
      ? { status }
      : {
          status: 502,
          error: 'received a non-empty response not recognized as CloudEvent. The response MUST be either empty or a valid CloudEvent',
          body: body.subarray(0, ERROR_DATA_LIMIT),
        };
  }
  try {
    return { status, reply: readHttpEvent(plain, body) };
  } catch (error: unknown) {
    const message = error instanceof CloudEventError ? error.message : String(error);
    return { status: 502, error: `the reply is not a valid CloudEvent: ${message}`, body: body.subarray(0, ERROR_DATA_LIMIT) };
  }
}

/** One POST of the event to `url`. */
export async function attemptOnce(url: string, event: CloudEvent, policy: DeliveryPolicy, stop: AbortSignal): Promise<Attempt> {
  const message = policy.format === 'json' ? toStructuredMessage(event) : toBinary(event);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { ...message.headers, prefer: 'reply' },
      body: message.body,
      signal: AbortSignal.any([stop, AbortSignal.timeout(policy.timeoutMs)]),
    });
    const body = Buffer.from(await response.arrayBuffer());
    if (response.status >= 200 && response.status < 300) return replyOf(response.status, response.headers, body);
    return {
      status: response.status,
      error: `unexpected HTTP response, expected 2xx, got ${response.status}`,
      body: body.subarray(0, ERROR_DATA_LIMIT),
      retryAfterMs: retryAfterOf(response.headers, response.status),
    };
  } catch (error: unknown) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    return { error: timedOut ? `no answer within ${policy.timeoutMs} ms` : `dispatch error: ${reason}` };
  }
}

const waitMs = (ms: number, stop: AbortSignal): Promise<void> => delay(ms, undefined, { signal: stop }).catch(() => undefined);

function nextWaitMs(policy: DeliveryPolicy, n: number, attempt: Attempt): number {
  const backoff = backoffMs(policy, n);
  if (policy.retryAfterMaxMs === undefined || attempt.retryAfterMs === undefined) return backoff;
  return Math.max(backoff, Math.min(attempt.retryAfterMs, policy.retryAfterMaxMs));
}

/** Delivers with retries until success, a non-retryable answer, the retry budget or `stop`. */
export async function deliver(url: string, event: CloudEvent, policy: DeliveryPolicy, stop: AbortSignal): Promise<DeliveryResult> {
  let attempts = 0;
  for (;;) {
    const attempt = await attemptOnce(url, event, policy, stop);
    attempts += 1;
    const ok = attempt.error === undefined;
    if (ok || stop.aborted || !isRetryable(attempt.status) || attempts > policy.retry) return { ...attempt, ok, attempts };
    await waitMs(nextWaitMs(policy, attempts - 1, attempt), stop);
  }
}

/** The event sent to a dead-letter sink: the original with Knative's error extensions. */
export function deadLetterEvent(event: CloudEvent, destination: string, result: Attempt): CloudEvent {
  const data = result.body !== undefined && result.body.length > 0 ? result.body : Buffer.from(result.error ?? '', 'utf8');
  return {
    attributes: {
      ...event.attributes,
      knativeerrordest: destination,
      knativeerrorcode: String(result.status ?? 500),
      ...(data.length > 0 ? { knativeerrordata: data.subarray(0, ERROR_DATA_LIMIT).toString('base64') } : {}),
    },
    data: event.data,
  };
}
