/** Maps a request path to what it addresses: a health check, a discovery document, or a resource. */

export interface ResourceRoute {
  kind: 'resource';
  group: string;
  version: string;
  plural: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** The deprecated `/api/v1/watch/...` form. */
  watchPrefix: boolean;
}

export type Route =
  | { kind: 'health' }
  | { kind: 'version' }
  | { kind: 'api' }
  | { kind: 'apis' }
  | { kind: 'apiGroup'; group: string }
  | { kind: 'resourceList'; group: string; version: string }
  | { kind: 'openapiV2' }
  | { kind: 'openapiV3' }
  | { kind: 'openapiV3Document'; path: string }
  | ResourceRoute
  | { kind: 'notFound' };

const NOT_FOUND: Route = { kind: 'notFound' };
const HEALTH = new Set(['healthz', 'livez', 'readyz']);

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Whether `/api/v1/namespaces/<name>/<x>` is a namespace subresource rather than a namespaced collection. */
const isNamespaceSubresource = (group: string, rest: readonly string[]): boolean =>
  group === '' && rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize');

function resourceRoute(group: string, version: string, segments: readonly string[]): Route {
  const watchPrefix = segments[0] === 'watch';
  const rest = watchPrefix ? segments.slice(1) : segments;
  const base = { kind: 'resource' as const, group, version, watchPrefix };
  if (rest[0] === 'namespaces' && rest.length >= 3 && !isNamespaceSubresource(group, rest)) {
    const [, namespace, plural, name, subresource] = rest;
    if (rest.length > 5 || plural === undefined) return NOT_FOUND;
    return { ...base, plural, namespace, name, subresource };
  }
  const [plural, name, subresource] = rest;
  if (rest.length > 3 || plural === undefined) return NOT_FOUND;
  return { ...base, plural, name, subresource };
}

function apiRoute(segments: readonly string[]): Route {
  const [, version, ...rest] = segments;
  if (version === undefined) return { kind: 'api' };
  if (version !== 'v1') return NOT_FOUND;
  return rest.length === 0 ? { kind: 'resourceList', group: '', version } : resourceRoute('', version, rest);
}

function apisRoute(segments: readonly string[]): Route {
  const [, group, version, ...rest] = segments;
  if (group === undefined) return { kind: 'apis' };
  if (version === undefined) return { kind: 'apiGroup', group };
  return rest.length === 0 ? { kind: 'resourceList', group, version } : resourceRoute(group, version, rest);
}

function openApiRoute(segments: readonly string[]): Route {
  if (segments[1] === 'v2' && segments.length === 2) return { kind: 'openapiV2' };
  if (segments[1] !== 'v3') return NOT_FOUND;
  return segments.length === 2 ? { kind: 'openapiV3' } : { kind: 'openapiV3Document', path: segments.slice(2).join('/') };
}

const BY_FIRST_SEGMENT: Readonly<Record<string, (segments: readonly string[]) => Route>> = {
  version: (segments) => (segments.length === 1 ? { kind: 'version' } : NOT_FOUND),
  'swagger.json': () => ({ kind: 'openapiV2' }),
  'swagger-2.0.0.pb-v1': () => ({ kind: 'openapiV2' }),
  openapi: openApiRoute,
  api: apiRoute,
  apis: apisRoute,
};

export function route(pathname: string): Route {
  const decoded = pathname
    .split('/')
    .filter((s) => s !== '')
    .map(decode);
  if (decoded.some((s) => s === undefined)) return NOT_FOUND;
  const segments = decoded as string[];
  const first = segments[0] ?? '';
  if (HEALTH.has(first)) return { kind: 'health' };
  const handler = Object.hasOwn(BY_FIRST_SEGMENT, first) ? BY_FIRST_SEGMENT[first] : undefined;
  return handler === undefined ? NOT_FOUND : handler(segments);
}
