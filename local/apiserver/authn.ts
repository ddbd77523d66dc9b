/**
 * Who a request is. Two kinds of bearer token are accepted: the kubeconfig's admin token (group
 * `system:masters`, as a cluster's admin credential) and ServiceAccount tokens, which this server mints
 * for the local function host (`serviceAccountToken`) — an HMAC of the account's namespace and name under
 * the admin token, so they need no storage and die with it; a token of an account that no longer exists
 * is refused, as a bound token is on a cluster. Then impersonation, as kube-apiserver does it: the
 * `Impersonate-User`, `Impersonate-Group` and `Impersonate-Uid` headers are honoured when the requester
 * may `impersonate` each of them, and the request is authorized as the impersonated user.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { badRequest, unauthorized } from './errors.js';
import { AUTHENTICATED, MASTERS, serviceAccountGroups, serviceAccountOf, type Authorizer, type RequestAttributes, type UserInfo } from './rbac.js';
import type { Store } from './store.js';
import { typeKey } from './types.js';

export const ADMIN_USER = 'drplan-admin';
const SA_TOKEN_PREFIX = 'drplan-sa.';
const SERVICE_ACCOUNTS = typeKey('', 'serviceaccounts');

const sign = (adminToken: string, namespace: string, name: string): string =>
  createHmac('sha256', adminToken).update(`serviceaccount:${namespace}:${name}`).digest('base64url');

/** A bearer token for the ServiceAccount `namespace/name`, valid while the account exists and the admin token is the same. */
export function serviceAccountToken(adminToken: string, namespace: string, name: string): string {
  const subject = Buffer.from(`${namespace}:${name}`).toString('base64url');
  return `${SA_TOKEN_PREFIX}${subject}.${sign(adminToken, namespace, name)}`;
}

const sameText = (given: string, expected: string): boolean => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

function bearer(request: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec((request.headers.authorization ?? '').trim());
  return match?.[1];
}

function serviceAccountUser(store: Store, adminToken: string, token: string): UserInfo | undefined {
  const [subject = '', signature = '', ...rest] = token.slice(SA_TOKEN_PREFIX.length).split('.');
  if (rest.length > 0) return undefined;
  const [namespace = '', name = ''] = Buffer.from(subject, 'base64url').toString('utf8').split(':');
  if (namespace === '' || name === '' || !sameText(signature, sign(adminToken, namespace, name))) return undefined;
  if (store.get(SERVICE_ACCOUNTS, namespace, name) === undefined) return undefined;
  return { username: `system:serviceaccount:${namespace}:${name}`, groups: serviceAccountGroups(namespace) };
}

/** The user a request's bearer token names; 401 when there is none or it is not valid. */
export function authenticate(store: Store, adminToken: string, request: IncomingMessage): UserInfo {
  const token = bearer(request);
  if (token === undefined) throw unauthorized();
  if (sameText(token, adminToken)) return { username: ADMIN_USER, groups: [MASTERS, AUTHENTICATED] };
  const user = token.startsWith(SA_TOKEN_PREFIX) ? serviceAccountUser(store, adminToken, token) : undefined;
  if (user === undefined) throw unauthorized();
  return user;
}

const headerValues = (request: IncomingMessage, name: string): string[] => {
  const value = request.headers[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value])
    .flatMap((item) => item.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '');
};

const impersonateCheck = (resource: string, name: string, namespace = '', apiGroup = ''): RequestAttributes => ({
  resourceRequest: true,
  verb: 'impersonate',
  apiGroup,
  resource,
  namespace,
  name,
});

/**
 * The user the request acts as: the authenticated one, or the one it impersonates when it may. A
 * ServiceAccount impersonated without groups gets the groups of a ServiceAccount; any other user
 * `system:authenticated`.
 */
export function impersonated(authorizer: Authorizer, requester: UserInfo, request: IncomingMessage): UserInfo {
  const [username, ...more] = headerValues(request, 'impersonate-user');
  const groups = headerValues(request, 'impersonate-group');
  const [uid] = headerValues(request, 'impersonate-uid');
  if (username === undefined) {
    if (groups.length > 0 || uid !== undefined) throw badRequest('impersonating a group or uid requires impersonating a user (Impersonate-User)');
    return requester;
  }
  if (more.length > 0) throw badRequest('only one user can be impersonated (Impersonate-User)');
  const account = serviceAccountOf(username);
  authorizer.authorize(
    requester,
    account === undefined ? impersonateCheck('users', username) : impersonateCheck('serviceaccounts', account.name, account.namespace),
  );
  for (const group of groups) authorizer.authorize(requester, impersonateCheck('groups', group));
  if (uid !== undefined) authorizer.authorize(requester, impersonateCheck('uids', uid, '', 'authentication.k8s.io'));
  return { username, groups: impersonatedGroups(groups, account?.namespace), ...(uid === undefined ? {} : { uid }) };
}

/** The groups asked for (plus system:authenticated), or without any those of a ServiceAccount or a plain user. */
function impersonatedGroups(groups: readonly string[], accountNamespace: string | undefined): string[] {
  if (groups.length > 0) return [...new Set([...groups, AUTHENTICATED])];
  return accountNamespace === undefined ? [AUTHENTICATED] : serviceAccountGroups(accountNamespace);
}
