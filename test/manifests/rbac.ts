/**
 * The Kubernetes API permissions of each function, declared once. Two tests hold it to the truth:
 * the ClusterRoles under `knative/` must grant exactly these rules (rbac.test.ts beside it), and
 * the function cores, run through scenarios that reach every API call they make, must need exactly
 * these rules — no call outside them, no rule no call needs (test/manifests/rbac-usage.test.ts).
 *
 * What a plan changes in the cluster (Jobs, KubernetesResource targets, Clusternet objects) is not
 * the functions' to be granted: they impersonate the plan's ServiceAccount for it, so the tenant's own
 * RBAC decides (docs/adr/0014-actions-run-as-the-plans-service-account.md). Only `impersonate` on
 * serviceaccounts is declared here for it.
 */
import { GROUP } from '../../shared/api/constants.js';
import type { Kube } from '../../shared/kube/types.js';

export const RbacVerbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'impersonate'] as const;
export type RbacVerb = (typeof RbacVerbs)[number];

/** One resource (or subresource, `drplans/status`) of one API group and the verbs allowed on it. */
export interface Permission {
  apiGroup: string;
  resource: string;
  verbs: readonly RbacVerb[];
}

/** One verb on one resource: what a single API request needs. */
export interface Grant {
  apiGroup: string;
  resource: string;
  verb: RbacVerb;
}

export const FunctionNames = ['validate-workflow', 'validate-plan', 'plan-stages', 'revert', 'cancel', 'run-action'] as const;
export type FunctionName = (typeof FunctionNames)[number];

const CORE = '';
const BATCH = 'batch';
export const CLUSTERNET_GROUP = 'apps.clusternet.io';

const rule = (apiGroup: string, resource: string, ...verbs: RbacVerb[]): Permission => ({ apiGroup, resource, verbs });

/** Kubernetes Events about executions (core/v1 Event, created in the execution's namespace). */
const recordEvents = rule(CORE, 'events', 'create');
/** Every change a plan makes to the cluster (Jobs, objects, Clusternet) is made as its ServiceAccount, by impersonation (ADR 14). */
const impersonateAccounts = rule(CORE, 'serviceaccounts', 'impersonate');

export const FunctionPermissions: Readonly<Record<FunctionName, readonly Permission[]>> = {
  'validate-workflow': [rule(GROUP, 'drworkflows', 'get', 'list', 'patch'), rule(GROUP, 'drworkflows/status', 'patch'), rule(GROUP, 'drplans', 'list')],
  'validate-plan': [
    rule(GROUP, 'drplans', 'get', 'list'),
    rule(GROUP, 'drplans/status', 'patch'),
    rule(GROUP, 'drworkflows', 'get', 'list', 'patch'),
    // retention: a plan's finished executions beyond its executionHistoryLimit are deleted
    rule(GROUP, 'drplanexecutions', 'list', 'delete'),
  ],
  'plan-stages': [
    rule(GROUP, 'drplanexecutions', 'get', 'list', 'patch'),
    rule(GROUP, 'drplanexecutions/status', 'patch'),
    rule(GROUP, 'drplans', 'get'),
    rule(GROUP, 'drplans/status', 'patch'),
    rule(GROUP, 'drworkflows', 'get'),
    impersonateAccounts,
    recordEvents,
  ],
  revert: [
    rule(GROUP, 'drplanexecutions', 'get', 'list', 'patch'),
    rule(GROUP, 'drplanexecutions/status', 'patch'),
    rule(GROUP, 'drplans', 'get'),
    rule(GROUP, 'drplans/status', 'patch'),
    impersonateAccounts,
    recordEvents,
  ],
  cancel: [
    rule(GROUP, 'drplanexecutions', 'get', 'patch'),
    rule(GROUP, 'drplanexecutions/status', 'patch'),
    rule(GROUP, 'drplans', 'get', 'patch'),
    rule(GROUP, 'drplans/status', 'patch'),
    impersonateAccounts,
    recordEvents,
  ],
  'run-action': [
    // get: the execution whose action it runs; list: at start, the attempts an earlier boot of its pod held (ADR 13)
    rule(GROUP, 'drplanexecutions', 'get', 'list'),
    rule(GROUP, 'drplanexecutions/status', 'patch'),
    // the step after a result may finish the execution: the plan's history and lock (ADR 12)
    rule(GROUP, 'drplans', 'get'),
    rule(GROUP, 'drplans/status', 'patch'),
    // get: a Job event names a Job; run-action reads it again before trusting it (the Job itself is created as the plan's account)
    rule(BATCH, 'jobs', 'get'),
    impersonateAccounts,
    recordEvents,
  ],
};

/** The ServiceAccount, ClusterRole and ClusterRoleBinding of a function share this name. */
export const accountName = (fn: FunctionName): string => `drplan-${fn}`;

/** `apps/v1` → `apps`; `v1` → `` (the core group). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? CORE : apiVersion.slice(0, slash);
}

/**
 * The resource (plural) of a kind, guessed the way Kubernetes guesses it
 * (`meta.UnsafeGuessKindToResource`): lowercase, `-s`, `-es` after s/x/z/ch/sh, `-ies` after a consonant + y.
 * Right for every kind drplan touches; a test checks it against the CRDs.
 */
export function resourceOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

export type KubeMethod = keyof Kube;

/** The calls whose grant does not depend on the object: an Event, an impersonation. */
const ownGrants: Readonly<Record<'recordEvent' | 'impersonate', Grant[]>> = {
  recordEvent: [{ apiGroup: CORE, resource: 'events', verb: 'create' }],
  impersonate: [{ apiGroup: CORE, resource: 'serviceaccounts', verb: 'impersonate' }],
};

/**
 * The grants one `Kube` call needs: get → get, list → list, create → create, apply (server-side
 * apply creates a missing object) → patch and create, mergePatch → patch, mergePatchStatus → patch of
 * `<resource>/status`, replaceStatus → update of `<resource>/status`, remove → delete, recordEvent →
 * create of core `events`.
 */
export function grantsFor(method: KubeMethod, apiVersion: string, kind: string): Grant[] {
  const apiGroup = groupOf(apiVersion);
  const resource = resourceOf(kind);
  const on = (verb: RbacVerb, sub = resource): Grant => ({ apiGroup, resource: sub, verb });
  switch (method) {
    case 'get':
    case 'list':
    case 'create':
      return [on(method)];
    case 'apply':
      return [on('patch'), on('create')];
    case 'mergePatch':
      return [on('patch')];
    case 'mergePatchStatus':
      return [on('patch', `${resource}/status`)];
    case 'replaceStatus':
      return [on('update', `${resource}/status`)];
    case 'remove':
      return [on('delete')];
    case 'dryRun':
      return [];
    default:
      return ownGrants[method];
  }
}

/** `drplans/status patch (dr.bkbcs.tencent.com)`: one grant as text, for sets and messages. */
export const grantKey = (grant: Grant): string => `${grant.resource} ${grant.verb} (${grant.apiGroup === '' ? 'core' : grant.apiGroup})`;

/** Every single grant a list of permissions gives. */
export const grantsOf = (permissions: readonly Permission[]): Grant[] =>
  permissions.flatMap((permission) => permission.verbs.map((verb) => ({ apiGroup: permission.apiGroup, resource: permission.resource, verb })));
