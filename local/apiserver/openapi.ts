/**
 * The OpenAPI v2 document (`GET /openapi/v2`), in gnostic protobuf (what kubectl always asks for) and
 * JSON. It lists, for each resource, the PATCH operation of an object with its
 * `x-kubernetes-group-version-kind` and a `fieldValidation` query parameter: that is what kubectl
 * checks before sending `?fieldValidation=Strict` and leaving validation to the server. It has no
 * `definitions`, so kubectl's own client-side validation (kubectl ≤ 1.24, or when the server does not
 * validate) finds no model for any kind and accepts the object unchanged; the server's admission
 * (schema.ts) does the real validation either way.
 *
 * OpenAPI v3 (`/openapi/v3`), which kubectl 1.27+ consults first, is in openapi-v3.ts.
 */
import type { ProtoField } from './openapi-protobuf.js';
import { encodeMessage } from './openapi-protobuf.js';

/** A servable resource, as the OpenAPI documents describe it. */
export interface OpenApiResource {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  /** The CRD version's `openAPIV3Schema`, when there is one. */
  schema?: unknown;
  statusSubresource?: boolean;
}

export const OPENAPI_TITLE = 'Kubernetes';
export const OPENAPI_VERSION = 'unversioned';
export const FIELD_VALIDATION_DESCRIPTION =
  'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate ' +
  'fields. Valid values are: - Ignore - Warn - Strict (the default for kubectl).';

/** `/api/v1/namespaces/{namespace}/configmaps` or `/apis/batch/v1/jobs` (cluster-scoped). */
export function collectionPath(resource: OpenApiResource): string {
  const root = resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  return `${root}${resource.namespaced ? '/namespaces/{namespace}' : ''}/${resource.plural}`;
}

export const itemPath = (resource: OpenApiResource): string => `${collectionPath(resource)}/{name}`;

export const gvkOf = (resource: OpenApiResource): { group: string; kind: string; version: string } => ({
  group: resource.group,
  kind: resource.kind,
  version: resource.version,
});

/** `patchBatchV1NamespacedJob`, `patchDrBkbcsTencentComV1alpha1NamespacedDRPlan`. */
export function operationId(verb: string, resource: OpenApiResource, suffix = ''): string {
  const words = [...resource.group.split(/[.-]/), resource.version].filter((w) => w !== '');
  const prefix = (resource.group === '' ? ['core', ...words] : words).map((w) => `${w.charAt(0).toUpperCase()}${w.slice(1)}`).join('');
  return `${verb}${prefix}${resource.namespaced ? 'Namespaced' : ''}${resource.kind}${suffix}`;
}

function patchOperationJson(resource: OpenApiResource): Record<string, unknown> {
  return {
    operationId: operationId('patch', resource),
    consumes: ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'],
    produces: ['application/json'],
    parameters: [{ name: 'fieldValidation', in: 'query', type: 'string', uniqueItems: true, description: FIELD_VALIDATION_DESCRIPTION }],
    responses: { '200': { description: 'OK' } },
    'x-kubernetes-action': 'patch',
    'x-kubernetes-group-version-kind': gvkOf(resource),
  };
}

/** The swagger 2.0 document as JSON. */
export function openApiV2Json(resources: readonly OpenApiResource[] = []): unknown {
  const paths: Record<string, unknown> = {};
  for (const resource of resources) paths[itemPath(resource)] = { patch: patchOperationJson(resource) };
  return { swagger: '2.0', info: { title: OPENAPI_TITLE, version: OPENAPI_VERSION }, paths, definitions: {} };
}

/** gnostic `QueryParameterSubSchema` → `NonBodyParameter` → `Parameter` → `ParametersItem`. */
function fieldValidationParameter(): ProtoField[] {
  const query: ProtoField[] = [
    [2, 'query'],
    [3, FIELD_VALIDATION_DESCRIPTION],
    [4, 'fieldValidation'],
    [6, 'string'],
    [20, true],
  ];
  return [[1, [[2, [[3, query]]]]]];
}

/** gnostic `Operation` for the PATCH of one object. */
function patchOperation(resource: OpenApiResource): ProtoField[] {
  const ok: ProtoField[] = [
    [1, '200'],
    [2, [[1, [[1, 'OK']]]]],
  ];
  const gvk: ProtoField[] = [
    [1, 'x-kubernetes-group-version-kind'],
    [2, [[2, JSON.stringify(gvkOf(resource))]]],
  ];
  const action: ProtoField[] = [
    [1, 'x-kubernetes-action'],
    [2, [[2, 'patch']]],
  ];
  return [
    [5, operationId('patch', resource)],
    [6, 'application/json'],
    [7, 'application/json-patch+json'],
    [7, 'application/merge-patch+json'],
    [7, 'application/apply-patch+yaml'],
    [8, fieldValidationParameter()],
    [9, [[1, ok]]],
    [13, action],
    [13, gvk],
  ];
}

/**
 * The same document as gnostic `openapi_v2.Document` protobuf bytes (`Accept:
 * application/com.github.proto-openapi.spec.v2@v1.0+protobuf`). Field numbers from gnostic's
 * OpenAPIv2.proto: Document swagger=1, info=2, paths=8, definitions=9; Info title=1, version=2;
 * Paths path=2; NamedPathItem name=1, value=2; PathItem patch=8; Operation operation_id=5,
 * produces=6, consumes=7, parameters=8, responses=9, vendor_extension=13; NamedAny name=1, value=2;
 * Any yaml=2.
 */
export function openApiV2Protobuf(resources: readonly OpenApiResource[] = []): Uint8Array {
  const paths: ProtoField[] = resources.map((resource) => [
    2,
    [
      [1, itemPath(resource)],
      [2, [[8, patchOperation(resource)]]],
    ],
  ]);
  return encodeMessage([
    [1, '2.0'],
    [
      2,
      [
        [1, OPENAPI_TITLE],
        [2, OPENAPI_VERSION],
      ],
    ],
    [8, paths],
    [9, []],
  ]);
}
