// Server-side request forgery guard for webhook URLs. A shop's webhook URL makes this server send
// requests; unless WEBHOOK_ALLOW_PRIVATE is set, they may only go to public unicast addresses, never
// to loopback, private, link-local, unique-local or other special ranges (the host's own services,
// the cloud metadata endpoint, the office network). The addresses are checked when the URL is
// registered and again at every connection, on the addresses actually connected to, so a name
// that resolves elsewhere later (DNS rebinding) is caught too.
import dns from "node:dns";
import type { LookupAddress, LookupOptions } from "node:dns";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

export class AddressRefusedError extends Error {
  override name = "AddressRefusedError";
}

/** The range of `ip` when it is not a public unicast address, otherwise null. */
export function nonPublicRange(ip: string): string | null {
  // process() turns IPv4-mapped IPv6 (::ffff:127.0.0.1) into the IPv4 address it carries.
  const range = ipaddr.process(ip).range();
  return range === "unicast" ? null : range;
}

function refuse(host: string, ip: string, range: string): AddressRefusedError {
  const where = host === ip ? ip : `${host} (${ip})`;
  return new AddressRefusedError(`${where} is a ${range} address; webhooks go to public addresses only unless WEBHOOK_ALLOW_PRIVATE=true`);
}

/** The URL's host without the brackets of an IPv6 literal. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}

/** Throws AddressRefusedError if `host` is, or resolves to any, non-public address. */
export async function assertPublicHost(host: string): Promise<void> {
  const addresses = isIP(host) ? [host] : (await dns.promises.lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  for (const ip of addresses) {
    const range = nonPublicRange(ip);
    if (range) throw refuse(host, ip, range);
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for node:net that resolves as usual and fails when any address is not public. It
 * runs for every new connection to a host name; literal IP hosts skip lookup, so callers check
 * those with assertPublicHost() first.
 */
export function publicOnlyLookup(host: string, options: LookupOptions, callback: LookupCallback): void {
  dns.lookup(host, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    for (const { address } of addresses) {
      const range = nonPublicRange(address);
      if (range) return callback(refuse(host, address, range), []);
    }
    if (options.all) callback(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}
