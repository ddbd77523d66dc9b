/**
 * Kubernetes `Status` errors. Every failure the server answers with is an `ApiError`, turned into a
 * `{kind: Status, apiVersion: v1, status: Failure, message, reason, details, code}` body; the messages
 * follow the real API server's wording so that clients (and the people reading them) see what they
 * would see on a cluster.
 */

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
}

export const Reasons = {
  notFound: 'NotFound',
  alreadyExists: 'AlreadyExists',
  conflict: 'Conflict',
  invalid: 'Invalid',
  badRequest: 'BadRequest',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  methodNotAllowed: 'MethodNotAllowed',
  unsupportedMediaType: 'UnsupportedMediaType',
  notAcceptable: 'NotAcceptable',
  expired: 'Expired',
  requestEntityTooLarge: 'RequestEntityTooLarge',
  internalError: 'InternalError',
} as const;

interface ApiErrorInit {
  code: number;
  reason: string;
  message: string;
  details?: StatusDetails;
  cause?: unknown;
}

export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;

  constructor(init: ApiErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ApiError';
    this.code = init.code;
    this.reason = init.reason;
    this.details = init.details;
  }

  toStatus(): Record<string, unknown> {
    return statusBody({ code: this.code, reason: this.reason, message: this.message, details: this.details ?? {} });
  }
}

export function statusBody(init: ApiErrorInit): Record<string, unknown> {
  const base = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: init.message, reason: init.reason };
  return { ...base, details: init.details ?? {}, code: init.code };
}

/** `drplans.dr.bkbcs.tencent.com`, or just `configmaps` for the core group. */
export interface ResourceName {
  group: string;
  plural: string;
}

const qualified = (resource: ResourceName): string => (resource.group === '' ? resource.plural : `${resource.plural}.${resource.group}`);

const details = (resource: ResourceName, name: string): StatusDetails => ({ name, group: resource.group, kind: resource.plural });

export const notFound = (resource: ResourceName, name: string): ApiError =>
  new ApiError({ code: 404, reason: Reasons.notFound, message: `${qualified(resource)} "${name}" not found`, details: details(resource, name) });

export const pathNotFound = (): ApiError => new ApiError({ code: 404, reason: Reasons.notFound, message: 'the server could not find the requested resource' });

export const alreadyExists = (resource: ResourceName, name: string): ApiError =>
  new ApiError({ code: 409, reason: Reasons.alreadyExists, message: `${qualified(resource)} "${name}" already exists`, details: details(resource, name) });

export const conflict = (
  resource: ResourceName,
  name: string,
  why = 'the object has been modified; please apply your changes to the latest version and try again',
): ApiError =>
  new ApiError({
    code: 409,
    reason: Reasons.conflict,
    message: `Operation cannot be fulfilled on ${qualified(resource)} "${name}": ${why}`,
    details: details(resource, name),
  });

export const forbidden = (resource: ResourceName, name: string, why: string): ApiError =>
  new ApiError({ code: 403, reason: Reasons.forbidden, message: `${qualified(resource)} "${name}" is forbidden: ${why}`, details: details(resource, name) });

/** What `forbiddenRequest` needs of a request (rbac.ts RequestAttributes). */
type ForbiddenAttributes =
  | { resourceRequest: true; verb: string; apiGroup: string; resource: string; subresource?: string | undefined; namespace: string; name?: string | undefined }
  | { resourceRequest: false; verb: string; path: string };

/** The 403 of a request RBAC does not allow, worded as kube-apiserver words it. */
export function forbiddenRequest(username: string, request: ForbiddenAttributes): ApiError {
  if (!request.resourceRequest) {
    return new ApiError({ code: 403, reason: Reasons.forbidden, message: `forbidden: User "${username}" cannot ${request.verb} path "${request.path}"` });
  }
  const { verb, apiGroup, resource, subresource, namespace, name } = request;
  const qualifiedResource = apiGroup === '' ? resource : `${resource}.${apiGroup}`;
  const subject = name === undefined || name === '' ? qualifiedResource : `${qualifiedResource} "${name}"`;
  const what = subresource === undefined ? resource : `${resource}/${subresource}`;
  const scope = namespace === '' ? 'at the cluster scope' : `in the namespace "${namespace}"`;
  return new ApiError({
    code: 403,
    reason: Reasons.forbidden,
    message: `${subject} is forbidden: User "${username}" cannot ${verb} resource "${what}" in API group "${apiGroup}" ${scope}`,
    details: { ...(name === undefined || name === '' ? {} : { name }), group: apiGroup, kind: resource },
  });
}

/** 422 with one cause per field, worded like `DRPlan.dr.bkbcs.tencent.com "x" is invalid: spec.stages: Required value`. */
export function invalid(kind: { group: string; kind: string }, name: string, causes: StatusCause[]): ApiError {
  const label = kind.group === '' ? kind.kind : `${kind.kind}.${kind.group}`;
  const parts = causes.map((cause) => (cause.field === '' ? cause.message : `${cause.field}: ${cause.message}`));
  const summary = parts.length === 1 ? (parts[0] ?? '') : `[${parts.join(', ')}]`;
  return new ApiError({
    code: 422,
    reason: Reasons.invalid,
    message: `${label} "${name}" is invalid: ${summary}`,
    details: { name, group: kind.group, kind: kind.kind, causes },
  });
}

export const badRequest = (message: string, cause?: unknown): ApiError => new ApiError({ code: 400, reason: Reasons.badRequest, message, cause });

export const unauthorized = (): ApiError => new ApiError({ code: 401, reason: Reasons.unauthorized, message: 'Unauthorized' });

export const methodNotAllowed = (method: string): ApiError =>
  new ApiError({ code: 405, reason: Reasons.methodNotAllowed, message: `the server does not allow this method on the requested resource (${method})` });

export const unsupportedMediaType = (contentType: string, accepted: readonly string[]): ApiError =>
  new ApiError({
    code: 415,
    reason: Reasons.unsupportedMediaType,
    message: `the body of the request was in an unknown format (${contentType === '' ? 'no Content-Type' : contentType}) - accepted media types include: ${accepted.join(', ')}`,
  });

export const notAcceptable = (accepted: readonly string[]): ApiError =>
  new ApiError({ code: 406, reason: Reasons.notAcceptable, message: `only the following media types are accepted: ${accepted.join(', ')}` });

export const gone = (requested: number, oldest: number): ApiError =>
  new ApiError({ code: 410, reason: Reasons.expired, message: `too old resource version: ${requested} (${oldest})` });

export const tooLarge = (limit: number): ApiError =>
  new ApiError({ code: 413, reason: Reasons.requestEntityTooLarge, message: `the request body is larger than the limit of ${limit} bytes` });

export const internalError = (cause: unknown): ApiError =>
  new ApiError({
    code: 500,
    reason: Reasons.internalError,
    message: `Internal error occurred: ${cause instanceof Error ? cause.message : String(cause)}`,
    cause,
  });

/** Any thrown value as an `ApiError` (unexpected ones become 500s). */
export const asApiError = (error: unknown): ApiError => (error instanceof ApiError ? error : internalError(error));
