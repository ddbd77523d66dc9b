/**
 * Localization and Subscription actions: Create, Patch (merge patch of `spec`) or Delete an
 * `apps.clusternet.io/v1alpha1` object. Clusternet is asynchronous: the action is done when the API
 * accepts the change; Clusternet's controllers carry it to the member clusters afterwards.
 */
import type { AttemptResult } from '../../shared/engine/attempt.js';
import type { ExecutorContext } from './executor.js';
import { fatal } from './executor.js';
import type { Manifest } from './manifest.js';
import { changeObjects } from './object-ops.js';
import { prepareObject } from './resource.js';

export const CLUSTERNET_API_VERSION = 'apps.clusternet.io/v1alpha1';

interface ClusternetConfig {
  name: string;
  namespace?: string | undefined;
  operation: 'Create' | 'Patch' | 'Delete';
  spec?: unknown;
}

const kinds = {
  Localization: { field: 'localization', refField: 'localizationRef' },
  Subscription: { field: 'subscription', refField: 'subscriptionRef' },
} as const;

export type ClusternetKind = keyof typeof kinds;

function objectOf(kind: ClusternetKind, config: ClusternetConfig, namespace: string): Manifest {
  const metadata = { name: config.name, namespace: config.namespace ?? namespace };
  const object: Manifest = { apiVersion: CLUSTERNET_API_VERSION, kind, metadata };
  if (config.operation !== 'Delete' && config.spec !== undefined) object.spec = config.spec;
  return object;
}

export async function runClusternet(ctx: ExecutorContext, kind: ClusternetKind): Promise<AttemptResult> {
  const { field, refField } = kinds[kind];
  const config: ClusternetConfig | undefined = ctx.action[field];
  if (config === undefined) return fatal(`${field}: is required for a ${kind} action`);
  if (config.operation !== 'Delete' && config.spec === undefined) return fatal(`${field}.spec: is required for operation ${config.operation}`);
  const object = prepareObject(ctx, objectOf(kind, config, ctx.namespace), config.operation);
  return changeObjects(ctx, [{ operation: config.operation, object, recordsOutputs: true, refField }]);
}
