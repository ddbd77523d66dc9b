/**
 * Who an execution's Kubernetes actions run as (ADR 14): a ServiceAccount of the execution's own
 * namespace — the one frozen into its plan when it started (the execution's `serviceAccountName`, else
 * its plan's), else the operator's default (DEFAULT_SERVICE_ACCOUNT, `default`). The functions
 * impersonate it, so the tenant's RBAC bounds what a plan can do: in its namespace and anywhere else.
 */
import type { DRPlanExecution } from '../api/index.js';
import type { CoreDeps } from '../function-deps.js';
import type { Kube } from '../kube/types.js';

export const DEFAULT_SERVICE_ACCOUNT = 'default';

/** `system:serviceaccount:<namespace>:<name>`, the username Kubernetes gives a ServiceAccount. */
export const serviceAccountUser = (namespace: string, name: string): string => `system:serviceaccount:${namespace}:${name}`;

/** The username the execution's actions run as; `namespace` is the execution's. */
export function actingUser(deps: Pick<CoreDeps, 'defaultServiceAccount'>, execution: DRPlanExecution, namespace: string): string {
  const name = execution.status?.resolved?.serviceAccountName ?? deps.defaultServiceAccount ?? DEFAULT_SERVICE_ACCOUNT;
  return serviceAccountUser(namespace, name);
}

/** The Kubernetes API as the execution's ServiceAccount. */
export const tenantKube = (deps: Pick<CoreDeps, 'kube' | 'defaultServiceAccount'>, execution: DRPlanExecution, namespace: string): Kube =>
  deps.kube.impersonate(actingUser(deps, execution, namespace));
