/**
 * The functions' identities, as a cluster has them after `kubectl apply -f knative/`: the namespace,
 * each function's ServiceAccount, and the ClusterRoles and bindings that say what it may do. `drplan
 * dev` applies them to the local API server, which enforces RBAC, and runs each function with a token
 * of its Service's ServiceAccount — so a grant missing from `knative/10-rbac/` fails here as it would
 * on a cluster, instead of hiding behind an admin credential.
 */
import { createKube } from '../shared/kube/client.js';
import type { KubeObject } from '../shared/kube/types.js';
import { isRecord } from '../shared/type-utils.js';
import type { ApiServer } from './apiserver/index.js';
import { readManifestDocuments } from './eventing/manifests.js';
import { KubeConfig } from '@kubernetes/client-node';

const RBAC = 'rbac.authorization.k8s.io/v1';
/** Applied in this order: what a binding names exists before it. */
const IDENTITY_KINDS = [`v1 Namespace`, `v1 ServiceAccount`, `${RBAC} ClusterRole`, `${RBAC} Role`, `${RBAC} ClusterRoleBinding`, `${RBAC} RoleBinding`];

const rank = (object: KubeObject): number => IDENTITY_KINDS.indexOf(`${object.apiVersion} ${object.kind}`);

/** The ServiceAccounts and RBAC objects among the manifests under `dir`, with the namespaces they live in, in the order they are applied. */
export function identityObjects(dir: string): KubeObject[] {
  const objects = readManifestDocuments(dir).documents.flatMap(({ value }): KubeObject[] =>
    isRecord(value) && isRecord(value.metadata) && typeof value.apiVersion === 'string' && typeof value.kind === 'string'
      ? [value as unknown as KubeObject]
      : [],
  );
  const identities = objects.filter((object) => rank(object) > 0);
  // a namespace only when an identity lives in it: the other namespaces are the user's to create
  const needed = new Set(identities.flatMap((object) => (object.metadata.namespace === undefined ? [] : [object.metadata.namespace])));
  const namespaces = objects.filter((object) => rank(object) === 0 && needed.has(object.metadata.name ?? ''));
  return [...namespaces, ...identities].sort((a, b) => rank(a) - rank(b));
}

/** Applies the identities (server-side apply as the admin) and returns the ServiceAccounts they define, as `namespace/name`. */
export async function installIdentities(apiServer: ApiServer, objects: readonly KubeObject[]): Promise<Set<string>> {
  const config = new KubeConfig();
  config.loadFromFile(apiServer.kubeconfigPath);
  const kube = createKube(config);
  for (const object of objects) await kube.apply(object, 'drplan-dev');
  return new Set(
    objects.filter((object) => object.kind === 'ServiceAccount').map((object) => `${object.metadata.namespace ?? 'default'}/${object.metadata.name ?? ''}`),
  );
}
