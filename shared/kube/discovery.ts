/**
 * Discovery: which resource serves a kind in an API version (its plural and whether it is namespaced),
 * from `/api/v1` or `/apis/<group>/<version>`. Each API version is asked once and cached; a kind the
 * cached answer lacks makes one fresh request (a CRD installed since), then the answer stands.
 */
import { KubeApiError } from './api-error.js';
import type { RestClient } from './rest.js';

export interface Resource {
  /** `/api/v1` or `/apis/<group>/<version>` */
  base: string;
  plural: string;
  namespaced: boolean;
}

interface ApiResource {
  name?: unknown;
  kind?: unknown;
  namespaced?: unknown;
}

export const apiVersionPath = (apiVersion: string): string => (apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`);

/** Kind → resource; subresources (`deployments/status`) are left out. */
function resourcesOf(base: string, list: unknown): Map<string, Resource> {
  const found = new Map<string, Resource>();
  const resources = (list as { resources?: unknown } | undefined)?.resources;
  if (!Array.isArray(resources)) return found;
  for (const entry of resources as ApiResource[]) {
    if (typeof entry.name !== 'string' || typeof entry.kind !== 'string' || entry.name.includes('/')) continue;
    found.set(entry.kind, { base, plural: entry.name, namespaced: entry.namespaced === true });
  }
  return found;
}

export interface Discovery {
  /** undefined when the server does not serve this kind in this API version. */
  describe(apiVersion: string, kind: string): Promise<Resource | undefined>;
}

export function createDiscovery(rest: RestClient): Discovery {
  const cache = new Map<string, Promise<Map<string, Resource>>>();

  async function fetchVersion(apiVersion: string, kind: string): Promise<Map<string, Resource>> {
    const base = apiVersionPath(apiVersion);
    try {
      return resourcesOf(base, await rest.send({ method: 'GET', path: base, what: `discover ${apiVersion} ${kind}` }));
    } catch (error: unknown) {
      if (error instanceof KubeApiError && error.code === 404) return new Map();
      throw error;
    }
  }

  /** One request per API version at a time; a failed one is forgotten so the next call asks again. */
  function refresh(apiVersion: string, kind: string): Promise<Map<string, Resource>> {
    const pending = fetchVersion(apiVersion, kind);
    cache.set(apiVersion, pending);
    pending.catch(() => {
      if (cache.get(apiVersion) === pending) cache.delete(apiVersion);
    });
    return pending;
  }

  return {
    async describe(apiVersion, kind) {
      const cached = cache.get(apiVersion);
      const known = cached === undefined ? undefined : (await cached).get(kind);
      if (known !== undefined) return known;
      return (await refresh(apiVersion, kind)).get(kind);
    },
  };
}
