/**
 * Which HTTP targets an action may reach. Link-local addresses (169.254.0.0/16, fe80::/10) and the
 * cloud metadata services are refused unless the configuration allows private targets: an action's URL
 * comes from user-editable workflows and parameters, and a metadata service hands out credentials.
 * Loopback and RFC 1918 addresses stay allowed (in-cluster services, the local demo target).
 *
 * The host name is resolved here (with an injected resolver) and every address checked; a name that
 * cannot be resolved is refused (retryably: DNS may be late), not sent unchecked. The NAT64 forms
 * (64:ff9b::/96) of the refused IPv4 addresses are refused too. The request then connects to the
 * checked address itself (node-fetch.ts), so a DNS answer that changes in between (rebinding) cannot
 * move it. Redirects are checked hop by hop, and never followed to another origin (see http.ts).
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

/** The NAT64 form (64:ff9b::/96, RFC 6052) of an IPv4 address: the same host, reached over IPv6. */
function nat64(ipv4: string): string {
  const [a = 0, b = 0, c = 0, d = 0] = ipv4.split('.').map(Number);
  return `64:ff9b::${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

const blocked = new BlockList();
/** Blocks an IPv4 subnet (or address, prefix 32) and its NAT64 form. */
function blockIPv4(network: string, prefix: number): void {
  blocked.addSubnet(network, prefix, 'ipv4');
  blocked.addSubnet(nat64(network), 96 + prefix, 'ipv6');
}
blockIPv4('169.254.0.0', 16);
blocked.addSubnet('fe80::', 10, 'ipv6');
// Metadata services outside the link-local ranges: Alibaba Cloud, Azure's wire server, Oracle Cloud,
// and AWS over IPv6.
blockIPv4('100.100.100.200', 32);
blockIPv4('168.63.129.16', 32);
blockIPv4('192.0.0.192', 32);
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

/** Why a target is refused; `retryable` when it may be allowed later (a name DNS does not know yet). */
export interface Refusal {
  reason: string;
  retryable: boolean;
}

const refused = (reason: string, retryable = false): Refusal => ({ reason, retryable });

/** A target that may be requested, and the checked address to connect to (absent: no check was made, resolve as usual). */
export interface Approved {
  address?: string | undefined;
}

/**
 * Why `url` must not be requested, or the address it may be requested at: every address the name
 * resolves to is checked, and the request connects to the first of them (node-fetch.ts), so the check
 * and the connection see the same answer.
 */
export async function checkTarget(url: URL, check: TargetCheck): Promise<{ refusal: Refusal } | Approved> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { refusal: refused(`scheme "${url.protocol}" is not supported; use http or https`) };
  if (check.allowPrivateTargets) return {};
  const host = hostOf(url);
  const why = 'link-local and cloud metadata addresses are refused (set ALLOW_PRIVATE_TARGETS=true to allow them)';
  if (METADATA_HOSTS.has(host)) return { refusal: refused(`host ${host} is a cloud metadata service; ${why}`) };
  if (isIP(host) !== 0) return isBlockedAddress(host) ? { refusal: refused(`address ${host} is not allowed; ${why}`) } : { address: host };
  return checkName(host, check, why);
}

/** Resolves a host name once and checks every address; the first is the one to connect to. */
async function checkName(host: string, check: TargetCheck, why: string): Promise<{ refusal: Refusal } | Approved> {
  let addresses: string[];
  try {
    addresses = await check.resolve(host);
  } catch (error: unknown) {
    const detail = error instanceof Error ? error.message : String(error);
    return { refusal: refused(`host ${host} could not be resolved (${detail}); it is not sent to unchecked`, true) };
  }
  const [first] = addresses;
  if (first === undefined) return { refusal: refused(`host ${host} resolves to no address; it is not sent to unchecked`, true) };
  const bad = addresses.find(isBlockedAddress);
  return bad === undefined ? { address: first } : { refusal: refused(`host ${host} resolves to ${bad}; ${why}`) };
}

/** Why `url` must not be requested, or `undefined` when it may be. */
export async function refuseTarget(url: URL, check: TargetCheck): Promise<Refusal | undefined> {
  const checked = await checkTarget(url, check);
  return 'refusal' in checked ? checked.refusal : undefined;
}
