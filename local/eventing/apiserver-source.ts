/**
 * ApiServerSources: for each `spec.resources[]` entry, list and watch the API server (through any
 * kubeconfig) and send each add/update/delete to the sink as Knative's adapter does: type
 * `dev.knative.apiserver.resource.<action>` (`.ref.` in Reference mode), `source` the API server URL,
 * `subject` Knative's self link (`/apis/<apiVersion>/namespaces/<ns>/<guessed plural>/<name>`, core
 * kinds included), extensions `kind`, `name`, `namespace`, `apiversion` and `ceOverrides`, data the
 * object (or its reference). Objects that exist when the watch starts emit nothing. Without a
 * `namespaceSelector` a source sees its own namespace only, as in Knative.
 */
import { randomUUID } from 'node:crypto';
import { toBinary, type CloudEvent } from './cloudevent.js';
import type { KubeTransport } from './kube-transport.js';
import type { ApiServerSource, LabelSelector } from './knative-schemas.js';
import type { Located } from './manifests.js';
import { NamespaceFilter, collectionPath, discoverResource, labelSelectorText } from './source-scope.js';
import { startResourceWatch, type MissedChanges, type ResourceWatch, type WatchAction, type WatchedObject } from './resource-watch.js';

export interface ApiServerSourcesOptions {
  sources: readonly Located<ApiServerSource>[];
  transport: KubeTransport;
  sinkOf: (source: Located<ApiServerSource>) => string;
  warn: (line: string) => void;
  /** Pause before relisting after an error (doubles on repeated failures). */
  retryDelayMs?: number | undefined;
  /** How long start waits for the first lists (default 15 s); later, events flow once they succeed. */
  readyTimeoutMs?: number | undefined;
}

export interface ApiServerSources {
  stop(): Promise<void>;
}

/** Knative's `meta.UnsafeGuessKindToResource`: the plural its subject uses, whatever the real one is. */
export function guessPlural(kind: string): string {
  const singular = kind.toLowerCase();
  if (singular.endsWith('s')) return `${singular}es`;
  if (singular.endsWith('y')) return `${singular.slice(0, -1)}ies`;
  return `${singular}s`;
}

/** Knative's `createSelfLink`: `/apis/<apiVersion>/namespaces/<ns>/<plural>/<name>`, for core kinds too. */
export function selfLink(object: WatchedObject): string {
  let version = object.apiVersion ?? '';
  if (version.includes('.') && !version.includes('/')) version = `${version}/versionUnknown`;
  return `/apis/${version}/namespaces/${object.metadata?.namespace ?? ''}/${guessPlural(object.kind ?? '')}/${object.metadata?.name ?? ''}`;
}

const isResourceMode = (source: ApiServerSource): boolean => source.spec.mode === 'Resource';

/** The CloudEvent Knative's ApiServerSource sends about `object`. */
export function apiServerEvent(source: ApiServerSource, server: string, action: WatchAction, object: WatchedObject): CloudEvent {
  const resource = isResourceMode(source);
  const { name = '', namespace = '' } = object.metadata ?? {};
  const apiVersion = object.apiVersion ?? '';
  const kind = object.kind ?? '';
  return {
    attributes: {
      specversion: '1.0',
      id: randomUUID(),
      source: server,
      type: `dev.knative.apiserver.${resource ? 'resource' : 'ref'}.${action}`,
      subject: selfLink(object),
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      kind,
      name,
      namespace,
      apiversion: apiVersion,
      ...(source.spec.ceOverrides?.extensions ?? {}),
    },
    data: { json: resource ? object : { kind, namespace, name, apiVersion } },
  };
}

function describeMissed(missed: MissedChanges): string | undefined {
  const parts = (['added', 'updated', 'deleted'] as const).flatMap((what) =>
    missed[what].length === 0 ? [] : [`${missed[what].length} ${what} (${missed[what].slice(0, 5).join(', ')}${missed[what].length > 5 ? ', …' : ''})`],
  );
  return parts.length === 0 ? undefined : parts.join(', ');
}

interface WatchPlan {
  source: Located<ApiServerSource>;
  resource: { apiVersion: string; kind: string; selector?: LabelSelector | undefined };
  sink: string;
}

async function send(plan: WatchPlan, event: CloudEvent, warn: (line: string) => void): Promise<void> {
  const message = toBinary(event);
  const what = `ApiServerSource ${plan.source.namespace}/${plan.source.name}`;
  try {
    const response = await fetch(plan.sink, { method: 'POST', headers: message.headers, body: message.body, signal: AbortSignal.timeout(30_000) });
    await response.arrayBuffer();
    if (!response.ok)
      warn(`${what}: the sink ${plan.sink} answered ${response.status} to ${event.attributes.type ?? ''} ${event.attributes.subject ?? ''}; the event is lost`);
  } catch (error: unknown) {
    warn(
      `${what}: cannot reach the sink ${plan.sink} (${error instanceof Error ? error.message : String(error)}); ${event.attributes.type ?? ''} ${event.attributes.subject ?? ''} is lost`,
    );
  }
}

async function startOne(plan: WatchPlan, options: ApiServerSourcesOptions): Promise<ResourceWatch> {
  const { source, resource } = plan;
  const what = `ApiServerSource ${source.namespace}/${source.name} (${resource.kind})`;
  const info = await discoverResource(options.transport, resource.apiVersion, resource.kind);
  const selector = source.object.spec.namespaceSelector;
  const namespaces = selector === undefined || !info.namespaced ? undefined : new NamespaceFilter(options.transport, selector);
  const path = collectionPath(resource.apiVersion, info, selector === undefined ? source.namespace : undefined, labelSelectorText(resource.selector));
  await namespaces?.refresh();
  return startResourceWatch(
    options.transport,
    path,
    {
      onEvent: async (action, object) => {
        if (namespaces !== undefined && !(await namespaces.admits(object.metadata?.namespace ?? ''))) return;
        await send(plan, apiServerEvent(source.object, options.transport.server, action, object), options.warn);
      },
      onRelist: (missed) => {
        const text = describeMissed(missed);
        if (text !== undefined)
          options.warn(
            `${what}: the watch was interrupted and listed again; no event is emitted for what changed meanwhile (as in Knative): ${text}. The resync tick re-drives them.`,
          );
        void namespaces?.refresh();
      },
      onError: (message) => {
        options.warn(`${what}: ${message}`);
      },
    },
    options.retryDelayMs,
  );
}

/** Starts every source's watches; resolves once each has listed (later changes are then reported). */
export async function startApiServerSources(options: ApiServerSourcesOptions): Promise<ApiServerSources> {
  const plans = options.sources.flatMap((source) => source.object.spec.resources.map((resource) => ({ source, resource, sink: options.sinkOf(source) })));
  const watches = await Promise.all(plans.map((plan) => startOne(plan, options)));
  const timeoutMs = options.readyTimeoutMs ?? 15_000;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => {
      resolve(false);
    }, timeoutMs);
  });
  const listed = await Promise.race([Promise.all(watches.map((watch) => watch.ready)).then(() => true), late]);
  clearTimeout(timer);
  if (!listed) options.warn(`ApiServerSources: not every watch could list within ${timeoutMs} ms; they keep trying`);
  return {
    stop: async () => {
      await Promise.all(watches.map((watch) => watch.stop()));
    },
  };
}
