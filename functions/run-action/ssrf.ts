/**
 * Which HTTP targets an action may reach. Link-local addresses (169.254.0.0/16, fe80::/10) and the
 * cloud metadata services are refused unless the configuration allows private targets: an action's URL
 * comes from user-editable workflows and parameters, and a metadata service hands out credentials.
 * Loopback and RFC 1918 addresses stay allowed (in-cluster services, the local demo target).
 *
 * The host name is resolved here (with an injected resolver) and every address checked. The request
 * itself resolves the name again, so a DNS answer that changes in between (rebinding) is not caught;
 * pinning the address would break TLS name checks, and the cluster's network policy is the stronger
 * guard. Redirects are checked hop by hop (see http.ts).
 */
import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';

/** Resolves a host name to its addresses (`dns.lookup` with `all: true` by default). */
export type HostResolver = (hostname: string) => Promise<string[]>;

export const systemResolver: HostResolver = async (hostname) => {
  const answers = await lookup(hostname, { all: true, verbatim: true });
  return answers.map((answer) => answer.address);
};

/** Metadata services reachable by name. */
const METADATA_HOSTS: ReadonlySet<string> = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'metadata.azure.internal',
  'metadata.tencentyun.com',
  'instance-data',
  'instance-data.ec2.internal',
]);

const blocked = new BlockList();
blocked.addSubnet('169.254.0.0', 16, 'ipv4');
blocked.addSubnet('fe80::', 10, 'ipv6');
// Metadata services outside the link-local ranges: Alibaba Cloud, and AWS over IPv6.
blocked.addAddress('100.100.100.200', 'ipv4');
blocked.addAddress('fd00:ec2::254', 'ipv6');

/** The host of a URL without IPv6 brackets or a trailing dot, lowercase. */
export function hostOf(url: URL): string {
  return url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
}

/** Whether a literal address is link-local or a metadata service (IPv4-mapped IPv6 included). */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export interface TargetCheck {
  allowPrivateTargets: boolean;
  resolve: HostResolver;
}

/**
 * Why `url` must not be requested, or `undefined` when it may be. A name that cannot be resolved is
 * not refused here: the request fails on it and that failure is retried like any network error.
 */
export async function refuseTarget(url: URL, check: TargetCheck): Promise<string | undefined> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `scheme "${url.protocol}" is not supported; use http or https`;
  if (check.allowPrivateTargets) return undefined;
  const host = hostOf(url);
  const why = 'link-local and cloud metadata addresses are refused (set ALLOW_PRIVATE_TARGETS=true to allow them)';
  if (METADATA_HOSTS.has(host)) return `host ${host} is a cloud metadata service; ${why}`;
  if (isIP(host) !== 0) return isBlockedAddress(host) ? `address ${host} is not allowed; ${why}` : undefined;
  let addresses: string[];
  try {
    addresses = await check.resolve(host);
  } catch {
    return undefined;
  }
  const bad = addresses.find(isBlockedAddress);
  return bad === undefined ? undefined : `host ${host} resolves to ${bad}; ${why}`;
}
