import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { ServiceError } from '../platform/errors.js';

/** Where webhooks may go: https to public addresses, unless insecure targets are allowed. */
export interface UrlPolicy {
  allowInsecure: boolean;
}

const MAX_URL_LENGTH = 2048;

function refused(detail: string): ServiceError {
  return new ServiceError('webhook_url_not_allowed', detail);
}

/**
 * Whether an address is one a webhook may reach: public unicast only. Loopback, private,
 * link-local, carrier-grade NAT, multicast, reserved and the unspecified address are not;
 * an IPv4-mapped IPv6 address is judged as the IPv4 address it carries.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

/** The URL parsed, or why it is refused (before any name is resolved). */
export function parseWebhookUrl(raw: string, policy: UrlPolicy): URL {
  if (raw.length > MAX_URL_LENGTH) throw refused(`the URL is longer than ${MAX_URL_LENGTH}`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refused('the URL is not an absolute URL');
  }
  if (url.protocol !== 'https:' && !(policy.allowInsecure && url.protocol === 'http:'))
    throw refused('the URL must use https');
  if (url.username || url.password) throw refused('the URL must not carry credentials');
  if (url.hash) throw refused('the URL must not carry a fragment');
  const host = hostOf(url);
  if (!policy.allowInsecure && isIP(host) && !isPublicAddress(host))
    throw refused(`the URL's address ${host} is not public`);
  return url;
}

/** The URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Checks a subscription's URL: its form, and that its host name resolves only to public
 * addresses. Each delivery checks again at connect time (`safeLookup`), so a name that later
 * resolves elsewhere (DNS rebinding) is still refused.
 */
export async function checkWebhookUrl(raw: string, policy: UrlPolicy): Promise<URL> {
  const url = parseWebhookUrl(raw, policy);
  const host = hostOf(url);
  if (policy.allowInsecure || isIP(host)) return url;
  let addresses: LookupAddress[];
  try {
    addresses = await lookup(host, { all: true, verbatim: true });
  } catch {
    throw refused(`the host ${host} does not resolve`);
  }
  const bad = addresses.find((a) => !isPublicAddress(a.address));
  if (bad) throw refused(`the host ${host} resolves to ${bad.address}, which is not public`);
  return url;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for http(s).request that resolves the name and refuses any non-public address, so
 * the socket connects to exactly the address checked (no second resolution to rebind).
 */
export function safeLookup(
  hostname: string,
  options: { all?: boolean },
  callback: LookupCallback,
): void {
  lookup(hostname, { all: true, verbatim: true }).then(
    (addresses) => {
      const bad = addresses.find((a) => !isPublicAddress(a.address));
      if (bad || addresses.length === 0) {
        const err: NodeJS.ErrnoException = new Error(
          `${hostname} resolves to ${bad?.address ?? 'nothing'}, which is not public`,
        );
        err.code = 'EADDRNOTALLOWED';
        callback(err, '');
        return;
      }
      if (options.all) callback(null, addresses);
      else {
        const first = addresses[0] as LookupAddress;
        callback(null, first.address, first.family);
      }
    },
    (err: NodeJS.ErrnoException) => callback(err, ''),
  );
}
