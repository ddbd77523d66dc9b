/**
 * OpenAPI v3 (`GET /openapi/v3` and `GET /openapi/v3/<api|apis/group>/<version>`), which kubectl
 * 1.27+ reads first:
 *  - before `apply`/`create`/`replace` it looks for the PATCH operation of the kind (by
 *    `x-kubernetes-group-version-kind`) and its `fieldValidation` parameter; finding it, kubectl sends
 *    `?fieldValidation=Strict` and lets the server validate;
 *  - `kubectl explain` reads the schemas in `components.schemas` (the CRD schemas, tagged with their
 *    group/version/kind).
 * PATCH request bodies list JSON patch, merge patch and apply patch but not strategic merge patch, as
 * for a CRD on a real server: kubectl then builds strategic merge patches for built-in kinds from its
 * compiled-in types (which needs no schema here) and merge patches for custom resources.
 */
import { createHash } from 'node:crypto';
import type { OpenApiResource } from './openapi.js';
import { FIELD_VALIDATION_DESCRIPTION, OPENAPI_TITLE, OPENAPI_VERSION, collectionPath, gvkOf, itemPath, operationId } from './openapi.js';

/** `api/v1` for the core group, `apis/<group>/<version>` otherwise: the key in `/openapi/v3`. */
export const groupVersionPath = (resource: OpenApiResource): string =>
  resource.group === '' ? `api/${resource.version}` : `apis/${resource.group}/${resource.version}`;

/** `com.tencent.bkbcs.dr.v1alpha1.DRPlan`, `io.k8s.api.core.v1.Namespace`: the name of a kind's schema. */
export function schemaName(resource: OpenApiResource): string {
  const group = resource.group === '' ? 'io.k8s.api.core' : resource.group.split('.').reverse().join('.');
  return `${group}.${resource.version}.${resource.kind}`;
}

const query = (name: string, type: string, description: string): Record<string, unknown> => ({
  name,
  in: 'query',
  description,
  schema: { type, uniqueItems: true },
});

const WRITE_PARAMETERS = [
  query('dryRun', 'string', 'When present, indicates that modifications should not be persisted.'),
  query('fieldManager', 'string', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  query('fieldValidation', 'string', FIELD_VALIDATION_DESCRIPTION),
];
const PATCH_PARAMETERS = [...WRITE_PARAMETERS, query('force', 'boolean', 'Force is going to "force" Apply requests.')];
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];

const pathParameter = (name: string): Record<string, unknown> => ({
  name,
  in: 'path',
  required: true,
  description: `${name} of the object`,
  schema: { type: 'string', uniqueItems: true },
});

function bodySchema(resource: OpenApiResource): Record<string, unknown> {
  return resource.schema === undefined ? { type: 'object' } : { $ref: `#/components/schemas/${schemaName(resource)}` };
}

interface OperationSpec {
  verb: string;
  action: string;
  parameters?: Record<string, unknown>[];
  bodyTypes?: string[];
  suffix?: string;
}

function operation(resource: OpenApiResource, spec: OperationSpec): Record<string, unknown> {
  const json = { 'application/json': { schema: bodySchema(resource) } };
  const op: Record<string, unknown> = {
    operationId: operationId(spec.verb, resource, spec.suffix),
    responses: { '200': { description: 'OK', content: json } },
    'x-kubernetes-action': spec.action,
    'x-kubernetes-group-version-kind': gvkOf(resource),
  };
  if (spec.parameters !== undefined) op.parameters = spec.parameters;
  if (spec.bodyTypes !== undefined) {
    const content = Object.fromEntries(
      spec.bodyTypes.map((type) => [type, { schema: type === 'application/json' ? bodySchema(resource) : { type: 'object' } }]),
    );
    op.requestBody = { required: true, content };
  }
  return op;
}

function pathsOf(resource: OpenApiResource): Record<string, unknown> {
  const scope = resource.namespaced ? [pathParameter('namespace')] : [];
  const item = [pathParameter('name'), ...scope];
  const paths: Record<string, unknown> = {
    [collectionPath(resource)]: {
      parameters: scope,
      get: operation(resource, { verb: 'list', action: 'list', suffix: 'List' }),
      post: operation(resource, { verb: 'create', action: 'post', parameters: WRITE_PARAMETERS, bodyTypes: ['application/json'] }),
    },
    [itemPath(resource)]: {
      parameters: item,
      get: operation(resource, { verb: 'read', action: 'get' }),
      put: operation(resource, { verb: 'replace', action: 'put', parameters: WRITE_PARAMETERS, bodyTypes: ['application/json'] }),
      patch: operation(resource, { verb: 'patch', action: 'patch', parameters: PATCH_PARAMETERS, bodyTypes: PATCH_TYPES }),
      delete: operation(resource, { verb: 'delete', action: 'delete' }),
    },
  };
  if (resource.statusSubresource === true) {
    paths[`${itemPath(resource)}/status`] = {
      parameters: item,
      get: operation(resource, { verb: 'read', action: 'get', suffix: 'Status' }),
      put: operation(resource, { verb: 'replace', action: 'put', parameters: WRITE_PARAMETERS, bodyTypes: ['application/json'], suffix: 'Status' }),
      patch: operation(resource, { verb: 'patch', action: 'patch', parameters: PATCH_PARAMETERS, bodyTypes: PATCH_TYPES, suffix: 'Status' }),
    };
  }
  return paths;
}

/** The v3 document of one group/version (`api/v1`, `apis/batch/v1`), or undefined when nothing is served there. */
export function openApiV3Document(path: string, resources: readonly OpenApiResource[]): Record<string, unknown> | undefined {
  const served = resources.filter((resource) => groupVersionPath(resource) === path.replace(/^\/+|\/+$/g, ''));
  if (served.length === 0) return undefined;
  const schemas: Record<string, unknown> = {};
  for (const resource of served) {
    if (resource.schema !== undefined && typeof resource.schema === 'object') {
      schemas[schemaName(resource)] = { ...resource.schema, 'x-kubernetes-group-version-kind': [gvkOf(resource)] };
    }
  }
  const paths = Object.assign({}, ...served.map(pathsOf)) as Record<string, unknown>;
  return { openapi: '3.0.0', info: { title: OPENAPI_TITLE, version: OPENAPI_VERSION }, paths, components: { schemas } };
}

const hashOf = (document: unknown): string => createHash('sha512').update(JSON.stringify(document)).digest('hex').toUpperCase();

/** The `/openapi/v3` discovery document: each group/version and the URL of its document (with a content hash). */
export function openApiV3Root(resources: readonly OpenApiResource[]): { paths: Record<string, { serverRelativeURL: string }> } {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const path of [...new Set(resources.map(groupVersionPath))].sort()) {
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hashOf(openApiV3Document(path, resources))}` };
  }
  return { paths };
}
