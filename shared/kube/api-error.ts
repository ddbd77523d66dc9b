/**
 * The one error type the Kubernetes client throws: the HTTP status as a numeric `code` and the API's
 * `Status.reason`, so the error boundary (`shared/errors.ts`) maps it deliberately and a core can tell
 * `NotFound` from `Conflict` from `AlreadyExists` without parsing messages.
 */
import { isRecord } from '../type-utils.js';

/** The reason the API server gives for each status when its body is not a `Status` (proxies, gateways). */
const ReasonsByCode: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export interface KubeApiErrorInit {
  code: number;
  reason: string;
  message: string;
  /** `Status.details` as the server sent it (causes with their fields, the kind and name). */
  details?: unknown;
}

export class KubeApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: unknown;
  constructor(init: KubeApiErrorInit, options?: ErrorOptions) {
    super(init.message, options);
    this.name = 'KubeApiError';
    this.code = init.code;
    this.reason = init.reason;
    this.details = init.details;
  }
}

function parseStatus(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) && parsed.kind === 'Status' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function reasonForCode(code: number): string {
  return ReasonsByCode[code] ?? (code >= 500 ? 'InternalError' : 'Unknown');
}

/**
 * The error for a failed response. `what` names the request (`get DRPlan default/p`), so the message
 * says what was attempted as well as what the server answered.
 */
export function errorFromResponse(code: number, body: string, what: string, cause?: unknown): KubeApiError {
  const status = parseStatus(body);
  const reason = typeof status?.reason === 'string' && status.reason !== '' ? status.reason : reasonForCode(code);
  const serverMessage = typeof status?.message === 'string' ? status.message : body.trim().slice(0, 200);
  const message = `${what}: ${serverMessage === '' ? reason : serverMessage}`;
  return new KubeApiError({ code, reason, message, details: status?.details }, cause === undefined ? undefined : { cause });
}

/**
 * The request got no answer from the API server (connection refused, TLS failure, timeout): 503, so it
 * is retried upstream; the cause's message says which.
 */
export function unreachable(what: string, cause: unknown): KubeApiError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new KubeApiError({ code: 503, reason: 'ServiceUnavailable', message: `${what}: no answer from the API server: ${detail}` }, { cause });
}
