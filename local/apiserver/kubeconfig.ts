/** The kubeconfig the server writes: usable as is by `kubectl --kubeconfig` and client-node's `loadFromFile`. */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

export const CONTEXT_NAME = 'drplan-local';

export interface KubeconfigCluster {
  /** `https://127.0.0.1:<port>`: kubectl sends a token over TLS only. */
  server: string;
  /** PEM of the server's self-signed certificate. */
  certificateAuthority: string;
}

export function kubeconfigText(cluster: KubeconfigCluster, token: string): string {
  const caData = Buffer.from(cluster.certificateAuthority, 'utf8').toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: CONTEXT_NAME, cluster: { server: cluster.server, 'certificate-authority-data': caData } }],
    users: [{ name: CONTEXT_NAME, user: { token } }],
    contexts: [{ name: CONTEXT_NAME, context: { cluster: CONTEXT_NAME, user: CONTEXT_NAME, namespace: 'default' } }],
    'current-context': CONTEXT_NAME,
    preferences: {},
  });
}

/** Writes the file atomically, readable by its owner only (it holds the token). */
export function writeKubeconfig(path: string, cluster: KubeconfigCluster, token: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, kubeconfigText(cluster, token), { mode: 0o600 });
  renameSync(tmp, path);
}
