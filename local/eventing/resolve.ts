/**
 * Addressing, as Knative resolves a Destination: a `ref` to a Broker is its ingress, a `ref` to a
 * Knative Service is where the function host runs it; a Service the host does not run (an
 * event-display sink, a plain `v1` Service) is played by a stand-in sink that records what it gets in
 * the event log; a `uri` is used as is, or relative to the `ref`'s address when both are given.
 */
import type { Resolve } from './broker.js';
import type { Ingress } from './ingress.js';
import type { KReference } from './knative-schemas.js';
import type { KnativeManifests } from './manifests.js';

/** Where the function host serves a Knative Service, if it runs it. */
export type ServiceUrl = (namespace: string, name: string) => string | undefined;

export interface ResolverOptions {
  manifests: KnativeManifests;
  ingress: Pick<Ingress, 'brokerUrl' | 'sinkUrl'>;
  serviceUrl: ServiceUrl;
  warn: (line: string) => void;
}

const ABSOLUTE = /^https?:\/\/[^/]/i;

const isBroker = (ref: KReference): boolean => ref.kind === 'Broker' && ref.apiVersion === 'eventing.knative.dev/v1';
const isKnativeService = (ref: KReference): boolean => ref.kind === 'Service' && ref.apiVersion === 'serving.knative.dev/v1';

function refUrl(ref: KReference, namespace: string, what: string, options: ResolverOptions): string {
  const ns = ref.namespace ?? namespace;
  const known = (list: readonly { namespace: string; name: string }[]): boolean => list.some((o) => o.namespace === ns && o.name === ref.name);
  if (isBroker(ref)) {
    if (!known(options.manifests.brokers)) throw new Error(`${what}: Broker ${ns}/${ref.name} is not in the manifests`);
    return options.ingress.brokerUrl(ns, ref.name);
  }
  if (isKnativeService(ref)) {
    if (!known(options.manifests.services)) throw new Error(`${what}: Knative Service ${ns}/${ref.name} is not in the manifests`);
    return options.serviceUrl(ns, ref.name) ?? options.ingress.sinkUrl(ns, ref.name);
  }
  if (ref.kind === 'Service' && ref.apiVersion === 'v1') return options.ingress.sinkUrl(ns, ref.name);
  throw new Error(`${what}: ${ref.apiVersion} ${ref.kind} is not played by the local eventing (Broker, Knative Service and v1 Service are)`);
}

/** The resolver the brokers and sources use; it throws naming the field it could not resolve. */
export function createResolver(options: ResolverOptions): Resolve {
  const standIns = new Set<string>();
  return (destination, namespace, what) => {
    const { ref, uri } = destination;
    if (ref === undefined) {
      if (uri === undefined || !ABSOLUTE.test(uri)) throw new Error(`${what}: uri "${uri ?? ''}" is not an absolute http(s) URL`);
      return uri;
    }
    const base = refUrl(ref, namespace, what, options);
    if (base.includes('/_sinks/') && !standIns.has(base)) {
      standIns.add(base);
      options.warn(`eventing: ${ref.kind} ${ref.namespace ?? namespace}/${ref.name} does not run locally; a stand-in sink records its events in the event log`);
    }
    return uri === undefined ? base : new URL(uri, `${base}/`).toString();
  };
}
