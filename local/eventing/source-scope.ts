/**
 * What an ApiServerSource watches: the resource behind `apiVersion`/`kind` (found through discovery),
 * the collection path (one namespace, or all namespaces when the source has a `namespaceSelector`),
 * the label selector in its query form, and which namespaces a `namespaceSelector` admits.
 */
import type { KubeTransport } from './kube-transport.js';
import type { LabelSelector } from './knative-schemas.js';
import { isRecord } from '../../shared/type-utils.js';

export interface ResourceInfo {
  plural: string;
  namespaced: boolean;
}

/** The plural and scope of `kind` in `apiVersion`, from the API server's discovery document. */
export async function discoverResource(transport: KubeTransport, apiVersion: string, kind: string): Promise<ResourceInfo> {
  const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  let document: unknown;
  try {
    document = await transport.getJson(path, AbortSignal.timeout(15_000));
  } catch (error: unknown) {
    throw new Error(`cannot discover ${kind} in ${apiVersion} (${path})`, { cause: error });
  }
  const resources = isRecord(document) && Array.isArray(document.resources) ? document.resources.filter(isRecord) : [];
  const found = resources.find((resource) => resource.kind === kind && typeof resource.name === 'string' && !resource.name.includes('/'));
  if (found === undefined) throw new Error(`the API server does not serve ${kind} in ${apiVersion}`);
  return { plural: String(found.name), namespaced: found.namespaced === true };
}

/** `a=b,c in (d,e),!f` from a LabelSelector; undefined when it selects everything. */
export function labelSelectorText(selector: LabelSelector | undefined): string | undefined {
  if (selector === undefined) return undefined;
  const terms = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    if (operator === 'In') terms.push(`${key} in (${values.join(',')})`);
    else if (operator === 'NotIn') terms.push(`${key} notin (${values.join(',')})`);
    else terms.push(operator === 'Exists' ? key : `!${key}`);
  }
  return terms.length === 0 ? undefined : terms.join(',');
}

/** The list/watch path: `/apis/<g>/<v>[/namespaces/<ns>]/<plural>[?labelSelector=…]`. */
export function collectionPath(apiVersion: string, info: ResourceInfo, namespace: string | undefined, labelSelector: string | undefined): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const scoped = info.namespaced && namespace !== undefined ? `${base}/namespaces/${encodeURIComponent(namespace)}/${info.plural}` : `${base}/${info.plural}`;
  return labelSelector === undefined ? scoped : `${scoped}?labelSelector=${encodeURIComponent(labelSelector)}`;
}

const REFRESH_MIN_MS = 1000;

/**
 * The namespaces a `namespaceSelector` admits (an empty selector admits all). Knative watches the
 * namespaces matching when it reconciles the source; here the matching set is listed at start and
 * again when an object arrives from a namespace not seen before (at most once a second).
 */
export class NamespaceFilter {
  private readonly transport: KubeTransport;
  private readonly selector: string | undefined;
  private admitted = new Set<string>();
  private refreshedAt = 0;

  constructor(transport: KubeTransport, selector: LabelSelector) {
    this.transport = transport;
    this.selector = labelSelectorText(selector);
  }

  async refresh(): Promise<void> {
    if (this.selector === undefined) return;
    this.refreshedAt = Date.now();
    const document = await this.transport.getJson(`/api/v1/namespaces?labelSelector=${encodeURIComponent(this.selector)}`, AbortSignal.timeout(15_000));
    const items = isRecord(document) && Array.isArray(document.items) ? document.items.filter(isRecord) : [];
    this.admitted = new Set(items.map((item) => (isRecord(item.metadata) ? String(item.metadata.name) : '')));
  }

  async admits(namespace: string): Promise<boolean> {
    if (this.selector === undefined || this.admitted.has(namespace)) return true;
    if (Date.now() - this.refreshedAt < REFRESH_MIN_MS) return false;
    await this.refresh().catch(() => undefined);
    return this.admitted.has(namespace);
  }
}
