/**
 * The OpenAPI documents (v2 JSON/protobuf, v3 discovery and per group/version) for what the registry
 * serves right now, built once per change of the registry: the CRD schemas are large, and kubectl
 * asks for these documents on every `apply`.
 */
import { openApiV2Json, openApiV2Protobuf, type OpenApiResource } from './openapi.js';
import { openApiV3Document, openApiV3Root } from './openapi-v3.js';
import type { Registry } from './registry.js';

interface Documents {
  v2Json: string;
  v2Protobuf: Uint8Array;
  v3Root: string;
  v3: Map<string, string>;
}

function resourcesOf(registry: Registry): OpenApiResource[] {
  return registry.all().flatMap((type) =>
    type.versions.map((version) => ({
      group: type.group,
      version: version.name,
      kind: type.kind,
      plural: type.plural,
      namespaced: type.namespaced,
      statusSubresource: type.statusSubresource,
      ...(version.schema === undefined ? {} : { schema: version.schema }),
    })),
  );
}

export class OpenApiDocuments {
  private revision = -1;
  private documents: Documents | undefined;
  private readonly registry: Registry;

  constructor(registry: Registry) {
    this.registry = registry;
  }

  private current(): Documents {
    if (this.documents !== undefined && this.revision === this.registry.revision) return this.documents;
    const resources = resourcesOf(this.registry);
    const root = openApiV3Root(resources);
    const v3 = new Map<string, string>();
    for (const path of Object.keys(root.paths)) v3.set(path, JSON.stringify(openApiV3Document(path, resources)));
    this.documents = { v2Json: JSON.stringify(openApiV2Json(resources)), v2Protobuf: openApiV2Protobuf(resources), v3Root: JSON.stringify(root), v3 };
    this.revision = this.registry.revision;
    return this.documents;
  }

  v2Json(): string {
    return this.current().v2Json;
  }

  v2Protobuf(): Uint8Array {
    return this.current().v2Protobuf;
  }

  v3Root(): string {
    return this.current().v3Root;
  }

  /** The JSON text of `api/v1` or `apis/<group>/<version>`, if served. */
  v3Document(path: string): string | undefined {
    return this.current().v3.get(path.replace(/^\/+|\/+$/g, ''));
  }
}
