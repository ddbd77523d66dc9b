/**
 * The request listener: bearer-token authentication, routing, discovery and OpenAPI documents, and
 * one error boundary that turns anything thrown into a Kubernetes Status (a malformed request never
 * takes the server down).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from './discovery.js';
import { asApiError, methodNotAllowed, pathNotFound, unauthorized } from './errors.js';
import { sendError, sendJson, sendText } from './http-util.js';
import type { OpenApiDocuments } from './openapi-cache.js';
import { handleResource, type ResourceDeps } from './resource-handler.js';
import { route, type Route } from './routes.js';

export interface ServerDeps extends ResourceDeps {
  openapi: OpenApiDocuments;
  token: string;
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

function authorized(request: IncomingMessage, token: string): boolean {
  const header = request.headers.authorization ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (match === null) return false;
  const given = Buffer.from(match[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

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

async function dispatch(deps: ServerDeps, exchange: Exchange): Promise<void> {
  const target = route(exchange.url.pathname);
  if (!ANONYMOUS.has(target.kind) && !authorized(exchange.req, deps.token)) throw unauthorized();
  if (target.kind === 'resource') {
    await handleResource(deps, target, exchange);
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
