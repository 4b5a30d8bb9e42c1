import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { BlockList, isIP } from "node:net";

/**
 * Where outbound deliveries may go (SSRF protection): a destination must resolve only to public
 * addresses, unless private ones are allowed (test mode, `ABONO_WEBHOOK_ALLOW_PRIVATE_URLS`) or its host
 * is listed in `ABONO_WEBHOOK_ALLOWED_HOSTS`. The check runs when an endpoint is saved and again on every
 * connection, on the very addresses connected to, so a name that later resolves elsewhere is refused too.
 */
export interface DestinationPolicy {
  allowPrivateUrls: boolean;
  allowedHosts: readonly string[];
}

const blocked = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  blocked.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["64:ff9b::", 96],
  ["100::", 64],
  ["2001:db8::", 32],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
] as const) {
  blocked.addSubnet(network, prefix, "ipv6");
}

/** Loopback, private, link-local, carrier-grade NAT, multicast, documentation and reserved addresses. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return isPrivateAddress(mapped[1]);
  const family = isIP(address);
  if (family === 4) return blocked.check(address, "ipv4");
  if (family === 6) return blocked.check(address, "ipv6");
  return true;
}

/** The host of a URL without IPv6 brackets, lower case. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
}

function hostIsTrusted(host: string, policy: DestinationPolicy): boolean {
  return policy.allowPrivateUrls || policy.allowedHosts.includes(host);
}

/** Why a URL's form is refused (scheme, credentials), or null. Resolution is checked apart. */
export function refuseUrlForm(url: URL, policy: DestinationPolicy): string | null {
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return `must be an https:// URL (got ${url.protocol})`;
  }
  if (url.protocol === "http:" && !hostIsTrusted(hostOf(url), policy)) {
    return "must be an https:// URL (plain http only with ABONO_WEBHOOK_ALLOW_PRIVATE_URLS or a host in ABONO_WEBHOOK_ALLOWED_HOSTS)";
  }
  if (url.username !== "" || url.password !== "") {
    return "must not carry a user name or password";
  }
  return null;
}

type Resolve = (host: string) => Promise<string[]>;

const systemResolve: Resolve = (host) =>
  new Promise((resolve, reject) =>
    dnsLookup(host, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses.map((entry) => entry.address)),
    ),
  );

/**
 * Why a destination is refused, or null: its form, a host that does not resolve, or one that resolves to
 * a private address while those are not allowed.
 */
export async function refuseDestination({
  url,
  policy,
  resolve = systemResolve,
}: {
  url: URL;
  policy: DestinationPolicy;
  resolve?: Resolve;
}): Promise<string | null> {
  const form = refuseUrlForm(url, policy);
  if (form) return form;
  const host = hostOf(url);
  if (hostIsTrusted(host, policy)) return null;
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await resolve(host);
  } catch {
    return `has a host that does not resolve (${host})`;
  }
  const refused = addresses.find(isPrivateAddress);
  return refused === undefined
    ? null
    : `resolves to a private, loopback or link-local address (${refused}), which outbound deliveries may not reach; allow it with ABONO_WEBHOOK_ALLOWED_HOSTS`;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for `http.request` that refuses private addresses for untrusted hosts: the connection goes to
 * an address this check saw, never to one a second resolution returns.
 */
export function guardedLookup(policy: DestinationPolicy, host: string) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback) => {
    dnsLookup(hostname, { ...options, all: true, verbatim: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const list = addresses as LookupAddress[];
      if (!hostIsTrusted(host, policy)) {
        const refused = list.find((entry) => isPrivateAddress(entry.address));
        if (refused) {
          const failure: NodeJS.ErrnoException = new Error(
            `${hostname} resolves to ${refused.address}, a private address outbound deliveries may not reach`,
          );
          failure.code = "EDESTINATIONREFUSED";
          return callback(failure, []);
        }
      }
      if (options.all) return callback(null, list);
      const [first] = list;
      if (!first) return callback(new Error(`${hostname} has no address`), []);
      callback(null, first.address, first.family);
    });
  };
}
