import { BlockList, isIP } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';

/**
 * The web server's front door, attached to the Node HTTP server that `next start` (or the standalone
 * server.js) creates, ahead of Next.js (see preload.mts). Two things Next.js cannot be told to do:
 *
 * 1. The API behind proxy.ts learns who the client is from X-Forwarded-For, so this server must say it
 *    itself: X-Forwarded-For becomes the one address of the client, taken from the TCP connection (or,
 *    behind a proxy that WEB_TRUST_PROXY names, from what that proxy says), never a header the client
 *    made up; X-Forwarded-Proto and X-Forwarded-Host likewise. Next.js would pass a client's own
 *    X-Forwarded-For through unchanged.
 * 2. Next.js answers a request rewritten to the API with `x-middleware-rewrite: http://<API_URL>/…`,
 *    the API's internal address; that header is dropped before the answer leaves.
 */

export type Trust = (address: string, hop: number) => boolean;

const NAMED_RANGES: Record<string, [string, number, 'ipv4' | 'ipv6'][]> = {
  loopback: [
    ['127.0.0.0', 8, 'ipv4'],
    ['::1', 128, 'ipv6'],
  ],
  linklocal: [
    ['169.254.0.0', 16, 'ipv4'],
    ['fe80::', 10, 'ipv6'],
  ],
  uniquelocal: [
    ['10.0.0.0', 8, 'ipv4'],
    ['172.16.0.0', 12, 'ipv4'],
    ['192.168.0.0', 16, 'ipv4'],
    ['fc00::', 7, 'ipv6'],
  ],
};

const family = (address: string) => (isIP(address) === 6 ? 'ipv6' : 'ipv4');

/** 255.255.240.0 → 20; undefined when it is not a netmask. */
function maskLength(mask: string): number | undefined {
  if (isIP(mask) !== 4) return undefined;
  const bits = mask
    .split('.')
    .map((octet) => Number(octet).toString(2).padStart(8, '0'))
    .join('');
  if (!/^1*0*$/.test(bits)) return undefined;
  const zero = bits.indexOf('0');
  return zero === -1 ? 32 : zero;
}

/**
 * WEB_TRUST_PROXY, with the syntax of the API's TRUST_PROXY (Express's `trust proxy`): `false` (the
 * default: the peer of the connection is the client), a hop count, or a comma-separated list of
 * addresses, CIDR ranges and the names loopback, linklocal, uniquelocal.
 */
export function parseTrust(raw: string | undefined): Trust {
  const value = (raw ?? '').trim().toLowerCase();
  if (value === '' || value === 'false' || value === '0') return () => false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return (_address, hop) => hop < hops;
  }
  if (value === 'true') throw new Error('WEB_TRUST_PROXY=true would let any client claim any address');
  const list = new BlockList();
  for (const entry of value.split(',').map((item) => item.trim())) {
    const named = NAMED_RANGES[entry];
    if (named) {
      for (const [network, prefix, type] of named) list.addSubnet(network, prefix, type);
      continue;
    }
    const [address = '', range] = entry.split('/');
    if (isIP(address) === 0) throw new Error(`WEB_TRUST_PROXY: not an address or range: ${entry}`);
    if (range === undefined) {
      list.addAddress(address, family(address));
      continue;
    }
    const prefix = /^\d{1,3}$/.test(range) ? Number(range) : maskLength(range);
    if (prefix === undefined || prefix > (family(address) === 'ipv6' ? 128 : 32)) {
      throw new Error(`WEB_TRUST_PROXY: not an address or range: ${entry}`);
    }
    list.addSubnet(address, prefix, family(address));
  }
  return (address) => isIP(address) !== 0 && list.check(address, family(address));
}

/** `::ffff:127.0.0.1` (an IPv4 client of a dual-stack server) → `127.0.0.1`. */
export function plainAddress(address: string | undefined): string {
  if (!address) return '';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped?.[1] ?? address;
}

/**
 * The client, as Express's `request.ip` would find it: walk from the connection's peer back through
 * X-Forwarded-For while the hop is a trusted proxy; the first untrusted one is the client.
 */
export function clientAddress(peer: string, forwardedFor: string | undefined, trust: Trust): string {
  const chain = [
    peer,
    ...(forwardedFor ?? '')
      .split(',')
      .map((entry) => plainAddress(entry.trim()))
      .filter(Boolean)
      .reverse(),
  ];
  for (let hop = 0; hop < chain.length - 1; hop++) {
    if (!trust(chain[hop]!, hop)) return chain[hop]!;
  }
  return chain[chain.length - 1]!;
}

const first = (value: string | string[] | undefined) =>
  (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim() || undefined;

/** Rewrites the forwarding headers of an incoming request (HTTP or WebSocket upgrade) in place. */
export function rewriteForwardingHeaders(request: IncomingMessage, trust: Trust): void {
  const headers = request.headers;
  const peer = plainAddress(request.socket.remoteAddress);
  const viaTrustedProxy = peer !== '' && trust(peer, 0);
  const forwardedFor = Array.isArray(headers['x-forwarded-for'])
    ? headers['x-forwarded-for'].join(',')
    : headers['x-forwarded-for'];
  const client = viaTrustedProxy ? clientAddress(peer, forwardedFor, trust) : peer;
  const proto = viaTrustedProxy ? first(headers['x-forwarded-proto']) : undefined;
  const host = viaTrustedProxy ? first(headers['x-forwarded-host']) : undefined;
  for (const name of ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port']) {
    delete headers[name];
  }
  delete headers.forwarded;
  delete headers['x-real-ip'];
  if (client) headers['x-forwarded-for'] = client;
  headers['x-forwarded-proto'] = proto ?? ((request.socket as TLSSocket).encrypted ? 'https' : 'http');
  const addressed = host ?? headers.host;
  if (addressed) headers['x-forwarded-host'] = addressed;
}

/** Drops `x-middleware-rewrite` when it names an absolute URL (the API behind the proxy). */
export function hideRewriteTarget(response: ServerResponse): void {
  const writeHead = response.writeHead;
  const leaks = (value: unknown) => /^[a-z][a-z\d+.-]*:/i.test(String(value));
  response.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    if (leaks(this.getHeader('x-middleware-rewrite'))) this.removeHeader('x-middleware-rewrite');
    const headers = args.find((arg, index) => index > 0 && typeof arg === 'object' && arg !== null);
    if (headers && !Array.isArray(headers)) {
      for (const name of Object.keys(headers)) {
        if (
          name.toLowerCase() === 'x-middleware-rewrite' &&
          leaks((headers as Record<string, unknown>)[name])
        ) {
          delete (headers as Record<string, unknown>)[name];
        }
      }
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
}

const attached = new WeakSet<Server>();

/** Runs the front door ahead of every other listener of the server's requests and upgrades. */
export function attachFrontDoor(server: Server, trust: Trust): void {
  if (attached.has(server)) return;
  attached.add(server);
  server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    rewriteForwardingHeaders(request, trust);
    hideRewriteTarget(response);
  });
  server.prependListener('upgrade', (request: IncomingMessage) => rewriteForwardingHeaders(request, trust));
}
