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
import { parseManifest, withNamespace, withOwnership } from './manifest.js';
import type { ObjectChange, Operation } from './object-ops.js';
import { changeObjects } from './object-ops.js';

/** The object as sent: in the workflow's namespace when it names none; labelled when Create or Apply writes it whole. */
export function prepareObject(ctx: ExecutorContext, object: Manifest, operation: Operation): Manifest {
  const placed = withNamespace(object, ctx.namespace);
  if (operation !== 'Create' && operation !== 'Apply') return placed;
  return withOwnership(placed, ownershipLabels(ctx.id), ownershipAnnotations(ctx.id));
}

export async function runResource(ctx: ExecutorContext): Promise<AttemptResult> {
  const config = ctx.action.resource;
  if (config === undefined) return fatal('resource: is required for a KubernetesResource action');
  const parsed = parseManifest(config.manifest, 'resource.manifest');
  if (!parsed.ok) return fatal(parsed.problem);
  const changes = parsed.objects.map((object, index): ObjectChange => ({
    operation: config.operation,
    object: prepareObject(ctx, object, config.operation),
    recordsOutputs: index === 0,
    refField: 'resourceRef',
  }));
  return changeObjects(ctx, changes);
}
