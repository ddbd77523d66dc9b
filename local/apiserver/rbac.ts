/**
 * RBAC, as kube-apiserver's RBAC authorizer decides it: a request is allowed when a rule of a role bound
 * to the user (by name), to one of its groups, or to its ServiceAccount allows its verb on its resource —
 * ClusterRoleBindings everywhere, RoleBindings in their namespace, ClusterRoles with an aggregationRule
 * holding the rules of every ClusterRole their selectors match. Nothing is allowed that no rule allows
 * (there is no deny), except to `system:masters`, which may do everything (the kubeconfig's admin).
 * The few grants a cluster bootstraps for every authenticated user (discovery, OpenAPI, version, health,
 * SelfSubjectAccessReview) are built in.
 */
import { forbiddenRequest } from './errors.js';
import type { Store } from './store.js';
import { isRecord, typeKey, type KubeObject } from './types.js';

export interface UserInfo {
  username: string;
  groups: readonly string[];
  uid?: string;
}

export const MASTERS = 'system:masters';
export const AUTHENTICATED = 'system:authenticated';
const SA_PREFIX = 'system:serviceaccount:';

/** What a request asks to do, in the terms RBAC rules are written in. */
export type RequestAttributes =
  | {
      resourceRequest: true;
      verb: string;
      apiGroup: string;
      resource: string;
      subresource?: string | undefined;
      namespace: string;
      name?: string | undefined;
    }
  | { resourceRequest: false; verb: string; path: string };

interface PolicyRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

function rulesOf(role: KubeObject | undefined): PolicyRule[] {
  const rules = role?.rules;
  if (!Array.isArray(rules)) return [];
  return rules.filter(isRecord).map((rule) => ({
    verbs: strings(rule.verbs),
    apiGroups: strings(rule.apiGroups),
    resources: strings(rule.resources),
    resourceNames: strings(rule.resourceNames),
    nonResourceURLs: strings(rule.nonResourceURLs),
  }));
}

/** The ServiceAccount a username names (`system:serviceaccount:<namespace>:<name>`), if it names one. */
export function serviceAccountOf(username: string): { namespace: string; name: string } | undefined {
  if (!username.startsWith(SA_PREFIX)) return undefined;
  const [namespace, name, ...rest] = username.slice(SA_PREFIX.length).split(':');
  return namespace === undefined || name === undefined || namespace === '' || name === '' || rest.length > 0 ? undefined : { namespace, name };
}

/** The groups Kubernetes gives a ServiceAccount's identity. */
export const serviceAccountGroups = (namespace: string): string[] => ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, AUTHENTICATED];

const RBAC = 'rbac.authorization.k8s.io';
const TYPES = {
  role: typeKey(RBAC, 'roles'),
  clusterRole: typeKey(RBAC, 'clusterroles'),
  roleBinding: typeKey(RBAC, 'rolebindings'),
  clusterRoleBinding: typeKey(RBAC, 'clusterrolebindings'),
};
export const RBAC_TYPE_KEYS: readonly string[] = Object.values(TYPES);

function subjectMatches(subject: unknown, user: UserInfo, bindingNamespace: string): boolean {
  if (!isRecord(subject) || typeof subject.name !== 'string') return false;
  switch (subject.kind) {
    case 'User':
      return subject.name === user.username;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const namespace = typeof subject.namespace === 'string' && subject.namespace !== '' ? subject.namespace : bindingNamespace;
      return user.username === `${SA_PREFIX}${namespace}:${subject.name}`;
    }
    default:
      return false;
  }
}

const bindsUser = (binding: KubeObject, user: UserInfo): boolean =>
  Array.isArray(binding.subjects) && binding.subjects.some((subject) => subjectMatches(subject, user, binding.metadata.namespace ?? ''));

function labelsMatch(selector: unknown, labels: Readonly<Record<string, string>>): boolean {
  if (!isRecord(selector)) return false;
  const matchLabels = isRecord(selector.matchLabels) ? selector.matchLabels : {};
  const entries = Object.entries(matchLabels);
  const expressions = Array.isArray(selector.matchExpressions) ? selector.matchExpressions.filter(isRecord) : [];
  if (entries.length === 0 && expressions.length === 0) return false;
  return (
    entries.every(([key, value]) => labels[key] === value) &&
    expressions.every((expression) => {
      const key = typeof expression.key === 'string' ? expression.key : '';
      const values = strings(expression.values);
      const has = Object.hasOwn(labels, key);
      switch (expression.operator) {
        case 'In':
          return has && values.includes(labels[key] ?? '');
        case 'NotIn':
          return !has || !values.includes(labels[key] ?? '');
        case 'Exists':
          return has;
        case 'DoesNotExist':
          return !has;
        default:
          return false;
      }
    })
  );
}

/** The rules of a ClusterRole: its own, or with an aggregationRule those of every ClusterRole it selects. */
function clusterRoleRules(store: Store, role: KubeObject | undefined): PolicyRule[] {
  if (role === undefined) return [];
  const aggregation = isRecord(role.aggregationRule) ? role.aggregationRule : undefined;
  if (aggregation === undefined) return rulesOf(role);
  const selectors = Array.isArray(aggregation.clusterRoleSelectors) ? aggregation.clusterRoleSelectors : [];
  const selected = store
    .list(TYPES.clusterRole)
    .filter((other) => other.metadata.name !== role.metadata.name && selectors.some((selector) => labelsMatch(selector, other.metadata.labels ?? {})));
  return [...rulesOf(role), ...selected.flatMap((other) => rulesOf(other))];
}

function roleRefRules(store: Store, binding: KubeObject): PolicyRule[] {
  const ref = isRecord(binding.roleRef) ? binding.roleRef : {};
  const name = typeof ref.name === 'string' ? ref.name : '';
  if (ref.kind === 'ClusterRole') return clusterRoleRules(store, store.get(TYPES.clusterRole, '', name));
  if (ref.kind === 'Role') return rulesOf(store.get(TYPES.role, binding.metadata.namespace ?? '', name));
  return [];
}

/** Every rule that applies to `user`: cluster-wide ones, and per namespace the ones of its RoleBindings there. */
interface UserRules {
  cluster: PolicyRule[];
  byNamespace: Map<string, PolicyRule[]>;
}

function collectRules(store: Store, user: UserInfo): UserRules {
  const cluster = store
    .list(TYPES.clusterRoleBinding)
    .filter((binding) => bindsUser(binding, user))
    .flatMap((binding) => roleRefRules(store, binding));
  const byNamespace = new Map<string, PolicyRule[]>();
  for (const binding of store.list(TYPES.roleBinding)) {
    if (!bindsUser(binding, user)) continue;
    const namespace = binding.metadata.namespace ?? '';
    byNamespace.set(namespace, [...(byNamespace.get(namespace) ?? []), ...roleRefRules(store, binding)]);
  }
  return { cluster, byNamespace };
}

const matchesAny = (list: readonly string[], value: string): boolean => list.includes('*') || list.includes(value);

function resourceMatches(rule: PolicyRule, resource: string, subresource: string | undefined): boolean {
  const combined = subresource === undefined ? resource : `${resource}/${subresource}`;
  return rule.resources.some((candidate) => candidate === '*' || candidate === combined || (subresource !== undefined && candidate === `*/${subresource}`));
}

function nonResourceMatches(rule: PolicyRule, path: string): boolean {
  return rule.nonResourceURLs.some((url) => url === '*' || url === path || (url.endsWith('*') && path.startsWith(url.slice(0, -1))));
}

export function ruleAllows(rule: PolicyRule, request: RequestAttributes): boolean {
  if (!matchesAny(rule.verbs, request.verb)) return false;
  if (!request.resourceRequest) return nonResourceMatches(rule, request.path);
  if (!matchesAny(rule.apiGroups, request.apiGroup) || !resourceMatches(rule, request.resource, request.subresource)) return false;
  return rule.resourceNames.length === 0 || (request.name !== undefined && rule.resourceNames.includes(request.name));
}

/** What every authenticated user may do on a cluster (system:discovery, system:public-info-viewer, system:basic-user). */
const PUBLIC_PATHS = ['/api', '/apis', '/openapi', '/version', '/healthz', '/livez', '/readyz'];
function bootstrapAllows(request: RequestAttributes): boolean {
  if (!request.resourceRequest)
    return request.verb === 'get' && PUBLIC_PATHS.some((prefix) => request.path === prefix || request.path.startsWith(`${prefix}/`));
  return (
    request.verb === 'create' &&
    request.apiGroup === 'authorization.k8s.io' &&
    (request.resource === 'selfsubjectaccessreviews' || request.resource === 'selfsubjectrulesreviews')
  );
}

const MAX_CACHED_USERS = 1000;

/**
 * Decides requests from the RBAC objects in the store. The rules of a user are gathered once and kept
 * until an RBAC object changes (the store counts the changes of each type).
 */
export class Authorizer {
  readonly #store: Store;
  readonly #cache = new Map<string, UserRules>();
  #seen = -1;

  constructor(store: Store) {
    this.#store = store;
  }

  allows(user: UserInfo, request: RequestAttributes): boolean {
    if (user.groups.includes(MASTERS)) return true;
    if (user.groups.includes(AUTHENTICATED) && bootstrapAllows(request)) return true;
    const rules = this.#rulesOf(user);
    const applicable =
      request.resourceRequest && request.namespace !== '' ? [...rules.cluster, ...(rules.byNamespace.get(request.namespace) ?? [])] : rules.cluster;
    return applicable.some((rule) => ruleAllows(rule, request));
  }

  /** Throws the 403 kube-apiserver answers when `user` may not make `request`. */
  authorize(user: UserInfo, request: RequestAttributes): void {
    if (!this.allows(user, request)) throw forbiddenRequest(user.username, request);
  }

  #rulesOf(user: UserInfo): UserRules {
    const version = RBAC_TYPE_KEYS.reduce((sum, key) => sum + this.#store.changesOf(key), 0);
    if (version !== this.#seen || this.#cache.size >= MAX_CACHED_USERS) {
      this.#cache.clear();
      this.#seen = version;
    }
    const key = `${user.username}\u0000${[...user.groups].sort().join('\u0000')}`;
    let rules = this.#cache.get(key);
    if (rules === undefined) {
      rules = collectRules(this.#store, user);
      this.#cache.set(key, rules);
    }
    return rules;
  }
}
