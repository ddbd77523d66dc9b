/**
 * Consent to a cross-namespace reference (as Gateway API's ReferenceGrant, on the referenced object
 * itself): a DRPlan may use a DRWorkflow of another namespace only when that workflow lists the plan's
 * namespace in `spec.shareWithNamespaces` (`"*"`: every namespace). Whoever may edit workflows in a
 * namespace decides; a plan's own namespace needs no consent. Without it the plan is Invalid, and
 * nothing is written into the workflow's namespace for it (no protection finalizer, no `referencedBy`).
 * Read tolerantly from the raw object, so validate-plan and validate-workflow always agree.
 */
import { isRecord } from './type-utils.js';

export const SHARE_WITH_ALL = '*';

interface WorkflowLike {
  metadata: { namespace?: string | undefined };
  spec?: unknown;
}

/** The namespaces the workflow shares itself with, as written. */
export function sharedNamespaces(workflow: WorkflowLike): string[] {
  const spec = isRecord(workflow.spec) ? workflow.spec : {};
  const list = Array.isArray(spec.shareWithNamespaces) ? (spec.shareWithNamespaces as unknown[]) : [];
  return list.filter((entry): entry is string => typeof entry === 'string');
}

/** Whether a plan of `planNamespace` may use `workflow`. */
export function mayUse(workflow: WorkflowLike, planNamespace: string): boolean {
  const own = workflow.metadata.namespace ?? 'default';
  if (own === planNamespace) return true;
  const shared = sharedNamespaces(workflow);
  return shared.includes(SHARE_WITH_ALL) || shared.includes(planNamespace);
}

/** The problem message of an ungranted reference. */
export const notSharedMessage = (workflow: string, planNamespace: string): string =>
  `${workflow} is in another namespace and does not share itself with namespace "${planNamespace}" (the workflow's owners grant it by listing "${planNamespace}" in its spec.shareWithNamespaces)`;
