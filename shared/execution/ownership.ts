/**
 * What marks an execution as ours: the labels `drplan=<plan>`, `dr.bkbcs.tencent.com/plan=<plan>` and
 * `dr.bkbcs.tencent.com/operation=execute|revert` (history queries with label selectors), and the
 * execution finalizer, which holds the object until its final record is in the plan's history.
 */
import { Finalizers, Labels } from '../api/index.js';
import type { Kube } from '../kube/types.js';
import type { Loaded } from './objects.js';
import { toLoaded } from './objects.js';
import { executionKey } from '../keys.js';

const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/**
 * The labels the execution should carry. A plan name that is not a valid label value (longer than 63
 * characters) gets no plan labels rather than a write the API server would refuse forever.
 */
export function ownershipLabels(loaded: Loaded): Record<string, string> {
  const plan = loaded.execution.spec.planRef;
  const labels: Record<string, string> = { [Labels.operation]: loaded.execution.spec.operationType.toLowerCase() };
  if (LABEL_VALUE.test(plan)) Object.assign(labels, { [Labels.planShort]: plan, [Labels.plan]: plan });
  return labels;
}

/**
 * Adds the missing labels and the finalizer with one conditional merge patch (a 409 goes to the caller,
 * which reads again); returns the execution as stored afterwards. Writes nothing when all is in place.
 */
export async function ensureOwnership(kube: Kube, loaded: Loaded): Promise<Loaded> {
  const metadata = loaded.object.metadata;
  const wanted = ownershipLabels(loaded);
  const missing = Object.entries(wanted).filter(([key, value]) => metadata.labels?.[key] !== value);
  const finalizers = metadata.finalizers ?? [];
  const needsFinalizer = !finalizers.includes(Finalizers.execution);
  if (missing.length === 0 && !needsFinalizer) return loaded;
  const patch = {
    metadata: {
      resourceVersion: metadata.resourceVersion,
      labels: Object.fromEntries(missing),
      ...(needsFinalizer ? { finalizers: [...finalizers, Finalizers.execution] } : {}),
    },
  };
  return toLoaded(await kube.mergePatch(executionKey(loaded.id), patch));
}

/**
 * Marks a finished execution whose end is in its plan's history (label `recorded`), and takes its
 * finalizer off: the finalizer held it until that record was made. The resync tick lists only what is
 * not marked, so its work does not grow with the executions kept for their history. Conditional; no
 * write when both are done.
 */
export async function markDone(kube: Kube, loaded: Loaded): Promise<void> {
  const { labels, finalizers = [], resourceVersion } = loaded.object.metadata;
  const holding = finalizers.includes(Finalizers.execution);
  if (labels?.[Labels.recorded] === 'true' && !holding) return;
  const rest = finalizers.filter((finalizer) => finalizer !== Finalizers.execution);
  await kube.mergePatch(executionKey(loaded.id), {
    metadata: { resourceVersion, labels: { [Labels.recorded]: 'true' }, ...(holding ? { finalizers: rest } : {}) },
  });
}

/** Removes the execution finalizer (conditional); the API server then completes the deletion. */
export async function removeFinalizer(kube: Kube, loaded: Loaded): Promise<void> {
  const finalizers = loaded.object.metadata.finalizers ?? [];
  if (!finalizers.includes(Finalizers.execution)) return;
  const rest = finalizers.filter((finalizer) => finalizer !== Finalizers.execution);
  await kube.mergePatch(executionKey(loaded.id), { metadata: { resourceVersion: loaded.object.metadata.resourceVersion, finalizers: rest } });
}
