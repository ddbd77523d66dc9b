/**
 * From a Knative Service manifest to what the host runs: which bundle (by the func CLI's
 * `function.knative.dev/name` label, the Service name, or the image's last path segment, the first
 * that has `<bundles>/<name>/index.js` or `index.mjs`), its environment (the container's `env` values; `valueFrom`
 * only for the pod's namespace and name, as nothing else exists locally), and its replica count
 * (`autoscaling.knative.dev/min-scale`, at least 1: there is no scale-from-zero locally).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { EnvVar, KnativeService } from '../eventing/knative-schemas.js';
import type { Located } from '../eventing/manifests.js';

export interface FunctionSpec {
  namespace: string;
  name: string;
  /** The module faas-js-runtime loads. */
  entry: string;
  /** The Service's env (the host adds the port, the kubeconfig and the broker address). */
  env: Record<string, string>;
  replicas: number;
}

const MIN_SCALE = ['autoscaling.knative.dev/min-scale', 'autoscaling.knative.dev/minScale'];

/** The names a bundle of this Service may be found under, in order of preference. */
export function bundleNames(service: KnativeService): string[] {
  const image = service.spec.template.spec.containers[0]?.image ?? '';
  const imageName = image.split('@')[0]?.split('/').pop()?.split(':')[0] ?? '';
  const label = service.metadata.labels?.['function.knative.dev/name'];
  return [...new Set([label, service.metadata.name, imageName].filter((name): name is string => name !== undefined && name !== ''))];
}

/** The bundle of a Service under `bundlesDir` (`<dir>/<name>/index.js`, or `index.mjs`), if one exists. */
export function findBundle(service: KnativeService, bundlesDir: string): string | undefined {
  return bundleNames(service)
    .flatMap((name) => ['index.js', 'index.mjs'].map((file) => join(bundlesDir, name, file)))
    .find((path) => existsSync(path));
}

export function replicasOf(service: KnativeService): number {
  const annotations = service.spec.template.metadata?.annotations ?? {};
  const value = MIN_SCALE.map((key) => annotations[key]).find((text) => text !== undefined);
  const count = value === undefined ? 1 : Number(value);
  return Number.isInteger(count) && count > 1 ? count : 1;
}

function fieldValue(variable: EnvVar, service: Located<KnativeService>): string | undefined {
  const from = variable.valueFrom as { fieldRef?: { fieldPath?: unknown } } | undefined;
  const path = from?.fieldRef?.fieldPath;
  if (path === 'metadata.namespace') return service.namespace;
  if (path === 'metadata.name') return `${service.name}-local`;
  return undefined;
}

/** The container env as the pod would see it; `skipped` names the variables that cannot be had locally. */
export function envOf(service: Located<KnativeService>): { env: Record<string, string>; skipped: string[] } {
  const env: Record<string, string> = {};
  const skipped: string[] = [];
  for (const variable of service.object.spec.template.spec.containers[0]?.env ?? []) {
    const value = variable.value ?? (variable.valueFrom === undefined ? '' : fieldValue(variable, service));
    if (value === undefined) skipped.push(variable.name);
    else env[variable.name] = value;
  }
  return { env, skipped };
}
