/**
 * The request listener: bearer-token authentication, impersonation and RBAC authorization (authn.ts,
 * rbac.ts), routing, discovery and OpenAPI documents, SelfSubjectAccessReview, and one error boundary
 * that turns anything thrown into a Kubernetes Status (a malformed request never takes the server down).
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { authenticate, impersonated } from './authn.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from './discovery.js';
import { asApiError, methodNotAllowed, pathNotFound } from './errors.js';
import { sendError, sendJson, sendText } from './http-util.js';
import { type Authorizer, type RequestAttributes, type UserInfo } from './rbac.js';
import { accessReview, isAccessReview } from './access-review.js';
import type { OpenApiDocuments } from './openapi-cache.js';
import { handleResource, type ResourceDeps } from './resource-handler.js';
import { route, type ResourceRoute, type Route } from './routes.js';

export interface ServerDeps extends ResourceDeps {
  openapi: OpenApiDocuments;
  token: string;
  authorizer: Authorizer;
  serverAddress: () => string;
  log: (line: string) => void;
}

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
}

const ANONYMOUS = new Set<Route['kind']>(['health', 'version']);
/** What a real server answers to `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf` ('@' is not valid in a media type). */
const PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

function sendRaw(exchange: Exchange, contentType: string, body: string | Uint8Array): void {
  exchange.res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength) });
  exchange.res.end(body);
}

function sendOpenApiV2(deps: ServerDeps, exchange: Exchange): void {
  const wantsProtobuf = (exchange.req.headers.accept ?? '').includes('protobuf') || exchange.url.pathname.endsWith('.pb-v1');
  if (wantsProtobuf) sendRaw(exchange, PROTOBUF, deps.openapi.v2Protobuf());
  else sendRaw(exchange, 'application/json', deps.openapi.v2Json());
}

function sendOpenApiV3(deps: ServerDeps, exchange: Exchange, path: string | undefined): void {
  const document = path === undefined ? deps.openapi.v3Root() : deps.openapi.v3Document(path);
  if (document === undefined) throw pathNotFound();
  sendRaw(exchange, 'application/json', document);
}

type DocumentRoute = Exclude<Route, { kind: 'resource' }>;

/** The JSON document of a discovery route (undefined: not found). */
function discoveryDocument(deps: ServerDeps, target: DocumentRoute): unknown {
  const { registry } = deps.context;
  switch (target.kind) {
    case 'version':
      return versionInfo();
    case 'api':
      return apiVersions(deps.serverAddress());
    case 'apis':
      return apiGroupList(registry);
    case 'apiGroup':
      return apiGroup(registry, target.group);
    case 'resourceList':
      return apiResourceList(registry, target.group, target.version);
    default:
      return undefined;
  }
}

/** Everything that is not a resource: health, version, discovery, OpenAPI. GET only. */
function serveDocument(deps: ServerDeps, target: DocumentRoute, exchange: Exchange): void {
  if (target.kind === 'health') sendText(exchange.res, 200, 'ok');
  else if (target.kind === 'openapiV2') sendOpenApiV2(deps, exchange);
  else if (target.kind === 'openapiV3') sendOpenApiV3(deps, exchange, undefined);
  else if (target.kind === 'openapiV3Document') sendOpenApiV3(deps, exchange, target.path);
  else {
    const body = discoveryDocument(deps, target);
    if (body === undefined) throw pathNotFound();
    sendJson(exchange.res, 200, body);
  }
}

const RESOURCE_VERBS: Readonly<Record<string, string>> = { POST: 'create', PUT: 'update', PATCH: 'patch' };

/** The verb RBAC sees: get/list/watch by name and query, create, update, patch, delete/deletecollection. */
function resourceVerb(method: string, target: ResourceRoute, url: URL): string {
  if (method === 'GET' || method === 'HEAD') {
    if (target.watchPrefix || ['true', '1'].includes(url.searchParams.get('watch') ?? '')) return 'watch';
    return target.name === undefined ? 'list' : 'get';
  }
  if (method === 'DELETE') return target.name === undefined ? 'deletecollection' : 'delete';
  return RESOURCE_VERBS[method] ?? method.toLowerCase();
}

function attributesOf(target: Route, exchange: Exchange): RequestAttributes {
  const method = (exchange.req.method ?? 'GET').toUpperCase();
  if (target.kind !== 'resource') return { resourceRequest: false, verb: method === 'HEAD' ? 'get' : method.toLowerCase(), path: exchange.url.pathname };
  return {
    resourceRequest: true,
    verb: resourceVerb(method, target, exchange.url),
    apiGroup: target.group,
    resource: target.plural,
    subresource: target.subresource,
    namespace: target.namespace ?? '',
    name: target.name,
  };
}

/** Who the request is (after impersonation), when it may do what it asks; 401 or 403 otherwise. */
function admit(deps: ServerDeps, target: Route, exchange: Exchange): UserInfo {
  const user = impersonated(deps.authorizer, authenticate(deps.context.store, deps.token, exchange.req), exchange.req);
  deps.authorizer.authorize(user, attributesOf(target, exchange));
  return user;
}

async function dispatch(deps: ServerDeps, exchange: Exchange): Promise<void> {
  const target = route(exchange.url.pathname);
  const user = ANONYMOUS.has(target.kind) ? undefined : admit(deps, target, exchange);
  if (target.kind === 'resource') {
    if (user !== undefined && isAccessReview(target)) await accessReview(deps.authorizer, user, target, exchange);
    else await handleResource(deps, target, exchange);
    return;
  }
  const method = (exchange.req.method ?? 'GET').toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed(method);
  serveDocument(deps, target, exchange);
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    await dispatch(deps, { req, res, url: new URL(req.url ?? '/', 'http://localhost') });
  } catch (error: unknown) {
    const apiError = asApiError(error);
    if (apiError.code >= 500) deps.log(`apiserver: ${req.method ?? ''} ${req.url ?? ''}: ${apiError.message}`);
    sendError(res, apiError);
  }
}

export function requestListener(deps: ServerDeps): RequestListener {
  return (req, res) => {
    void handle(deps, req, res);
  };
}
