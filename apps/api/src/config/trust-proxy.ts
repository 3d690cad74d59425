import { isIP, isIPv4 } from 'node:net';
import { z } from 'zod';

/**
 * Express's `trust proxy`, as the `TRUST_PROXY` setting: which peers may tell the API, in
 * X-Forwarded-For / X-Forwarded-Proto / X-Forwarded-Host, who the client is and whether it used HTTPS.
 * - `false` (the default): no one; the client is the peer of the TCP connection.
 * - a hop count `N`: the N nearest hops are proxies (the client is the N-th address from the right).
 * - a comma-separated list of addresses, CIDR ranges (`10.0.0.0/8`, `fd00::/8`, `10.0.0.0/255.0.0.0`)
 *   and the names `loopback`, `linklocal`, `uniquelocal`: exactly those proxies.
 * `true` (trust every peer, so any client can claim any address) is refused on purpose.
 */
export type TrustProxy = false | number | string[];

const NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function validEntry(entry: string): boolean {
  if (NAMES.has(entry) || isIP(entry) !== 0) return true;
  const slash = entry.indexOf('/');
  if (slash < 0) return false;
  const address = entry.slice(0, slash);
  const range = entry.slice(slash + 1);
  const family = isIP(address);
  if (family === 0) return false;
  if (/^\d{1,3}$/.test(range)) return Number(range) <= (family === 4 ? 32 : 128);
  return family === 4 && isIPv4(range); // a netmask, e.g. 255.255.0.0
}

export function parseTrustProxy(raw: string): TrustProxy | { error: string } {
  const value = raw.trim();
  if (value === '' || value.toLowerCase() === 'false') return false;
  if (value.toLowerCase() === 'true') {
    return {
      error: 'true would let any client claim any address; give the hop count or the proxies’ addresses',
    };
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return hops === 0 ? false : hops;
  }
  const entries = value.split(',').map((entry) => entry.trim().toLowerCase());
  const invalid = entries.filter((entry) => !validEntry(entry));
  if (invalid.length > 0) {
    return {
      error: `not an address, a CIDR range or loopback/linklocal/uniquelocal: ${invalid.map((e) => JSON.stringify(e)).join(', ')}`,
    };
  }
  return entries;
}

/** The zod field for api-config: a string in the environment, Express's value after parsing. */
export const trustProxySetting = z
  .string()
  .transform((raw, context): TrustProxy => {
    const parsed = parseTrustProxy(raw);
    if (typeof parsed === 'object' && !Array.isArray(parsed)) {
      context.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    }
    return parsed;
  })
  .default(false);
