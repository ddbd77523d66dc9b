/**
 * KubernetesResource actions: Create, Apply (server-side apply, field manager `drplan`), Patch (JSON
 * merge patch) or Delete every object of the rendered manifest, in order. The first object's reference,
 * `created` and prior state are recorded for the rollback; our labels go on what Create and Apply write.
 */
import { ownershipAnnotations, ownershipLabels } from '../../shared/job-labels.js';
import type { ExecutorContext } from './executor.js';
import { fatal } from './executor.js';
import type { AttemptResult } from '../../shared/engine/attempt.js';
import type { Manifest } from './manifest.js';
import { describeKey, keyOf, parseManifest, withNamespace, withOwnership } from './manifest.js';
import { apiFailure } from './kube-errors.js';
import type { SecretSnapshotRef } from '../../shared/api/execution.js';
import type { KubeObject } from '../../shared/kube/types.js';
import { isRecord } from '../../shared/type-utils.js';
import { SERVER_METADATA } from '../../shared/engine/rollback.js';
import type { ObjectChange, Operation } from './object-ops.js';
import { changeObjects } from './object-ops.js';

/** The object as sent: in the workflow's namespace when it names none; labelled when Create or Apply writes it whole. */
export function prepareObject(ctx: ExecutorContext, object: Manifest, operation: Operation): Manifest {
  const placed = withNamespace(object, ctx.namespace);
  if (operation !== 'Create' && operation !== 'Apply') return placed;
  return withOwnership(placed, ownershipLabels(ctx.id), ownershipAnnotations(ctx.id));
}

const sameIdentity = (a: Manifest, b: Manifest): boolean =>
  a.apiVersion === b.apiVersion && a.kind === b.kind && a.metadata.name === b.metadata.name && (a.metadata.namespace ?? '') === (b.metadata.namespace ?? '');

/**
 * The object `resource.stateFrom` holds (a snapshot drplan kept of a Secret before changing it), read
 * as the plan's account now; it must be the object the manifest names. Its data is never recorded.
 */
async function snapshotState(ctx: ExecutorContext, named: Manifest, ref: SecretSnapshotRef): Promise<{ state: Manifest } | { failure: AttemptResult }> {
  const where = `resource.stateFrom: Secret ${ref.namespace}/${ref.name}`;
  let secret: KubeObject | undefined;
  try {
    secret = await ctx.kube.get({ apiVersion: 'v1', kind: 'Secret', name: ref.name, namespace: ref.namespace });
  } catch (error: unknown) {
    return { failure: apiFailure(error, `reading ${where} as ${ctx.actingAs}`) };
  }
  const data = isRecord(secret?.data) ? secret.data : {};
  const encoded = data[ref.key];
  if (typeof encoded !== 'string')
    return { failure: fatal(`${where} ${secret === undefined ? 'not found' : `has no key "${ref.key}"`}: the prior state is lost`) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  } catch {
    return { failure: fatal(`${where}, key "${ref.key}": not a JSON object`) };
  }
  if (!isRecord(parsed) || !isRecord(parsed.metadata)) return { failure: fatal(`${where}, key "${ref.key}": not a Kubernetes object`) };
  const metadata = Object.fromEntries(Object.entries(parsed.metadata).filter(([field]) => !SERVER_METADATA.has(field)));
  const { status: _status, ...rest } = parsed;
  const state = { ...rest, metadata } as Manifest;
  if (!sameIdentity(state, named)) return { failure: fatal(`${where} holds ${describeKey(keyOf(state))}, not ${describeKey(keyOf(named))}`) };
  return { state };
}

export async function runResource(ctx: ExecutorContext): Promise<AttemptResult> {
  const config = ctx.action.resource;
  if (config === undefined) return fatal('resource: is required for a KubernetesResource action');
  const parsed = parseManifest(config.manifest, 'resource.manifest');
  if (!parsed.ok) return fatal(parsed.problem);
  if (config.stateFrom !== undefined) {
    const [named] = parsed.objects;
    if (config.operation !== 'Apply' || named === undefined || parsed.objects.length !== 1) {
      return fatal('resource.stateFrom: only with operation Apply and a manifest naming one object');
    }
    const read = await snapshotState(ctx, withNamespace(named, ctx.namespace), config.stateFrom);
    if ('failure' in read) return read.failure;
    return changeObjects(ctx, [{ operation: 'Apply', object: prepareObject(ctx, read.state, 'Apply'), recordsOutputs: true, refField: 'resourceRef' }]);
  }
  const changes = parsed.objects.map((object, index): ObjectChange => ({
    operation: config.operation,
    object: prepareObject(ctx, object, config.operation),
    recordsOutputs: index === 0,
    refField: 'resourceRef',
  }));
  return changeObjects(ctx, changes);
}
