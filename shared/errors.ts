/**
 * The error boundary. Every error a handler can throw carries a numeric `code` chosen on purpose, which
 * faas-js-runtime turns into the HTTP status, which the broker turns into a delivery decision:
 * 400-class (except 404/408/409/429) → dead letter at once; 409, 429, 5xx → retried.
 */
export const ErrorCodes = {
  /** The event is malformed or refers to something that can never work: drop it (dead letter). */
  badEvent: 400,
  /** Optimistic concurrency lost: retry. */
  conflict: 409,
  /** A dependency is unavailable or overloaded: retry with backoff. */
  unavailable: 503,
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class HandlerError extends Error {
  readonly code: ErrorCode;
  constructor(message: string, code: ErrorCode, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HandlerError';
    this.code = code;
  }
}

export const badEvent = (message: string, cause?: unknown): HandlerError => new HandlerError(message, ErrorCodes.badEvent, { cause });
export const conflict = (message: string, cause?: unknown): HandlerError => new HandlerError(message, ErrorCodes.conflict, { cause });
export const unavailable = (message: string, cause?: unknown): HandlerError => new HandlerError(message, ErrorCodes.unavailable, { cause });

/** The HTTP status code of a Kubernetes client error, if it is one. */
export function statusCodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as { code?: unknown; statusCode?: unknown; response?: { statusCode?: unknown } };
  for (const value of [candidate.code, candidate.statusCode, candidate.response?.statusCode]) {
    if (typeof value === 'number' && value >= 100 && value < 600) return value;
  }
  return undefined;
}

export const isNotFound = (error: unknown): boolean => statusCodeOf(error) === 404;
export const isConflict = (error: unknown): boolean => statusCodeOf(error) === 409;

/**
 * Maps any error to a HandlerError with a deliberate code. A Kubernetes 409 stays a conflict (retried);
 * 429 and 5xx and network errors become 503 (retried); other API 4xx mean our request was wrong for the
 * current state — retried too, as 503, because the state may change; only `badEvent` drops an event.
 */
export function toHandlerError(error: unknown, what: string): HandlerError {
  if (error instanceof HandlerError) return error;
  const status = statusCodeOf(error);
  if (status === 409) return conflict(`${what}: conflict`, error);
  const detail = error instanceof Error ? error.message : String(error);
  return unavailable(`${what}: ${detail}`, error);
}
