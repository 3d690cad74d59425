/**
 * Which IP addresses ctx.fetch may connect to. Everything that is not ordinary public unicast is
 * refused unless the server allows private networks: loopback, RFC 1918, link-local, CGNAT, unique
 * local, multicast, reserved and documentation ranges, and IPv6 forms that embed such an IPv4
 * address (IPv4-mapped, NAT64, 6to4). Cloud metadata endpoints stay refused even then, unless an
 * operator lists them explicitly: reaching them from a script means reaching the machine's credentials.
 *
 * Parsing is our own rather than `net.isIP`, because the policy must see through every spelling an
 * attacker can use: `2130706433`, `0x7f.1`, `0177.0.0.1`, `::ffff:127.0.0.1`, `::ffff:7f00:1`, `[::1]`.
 */

export type AddressVerdict =
  { allowed: true; address: string } | { allowed: false; address: string; reason: string };

interface Range {
  base: bigint;
  bits: number;
  prefix: number;
  label: string;
  /** Refused even when private networks are allowed. */
  metadata?: boolean;
}

/** Parses IPv4 the way inet_aton does: 1–4 parts, each decimal, octal (leading 0) or hex (0x). */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length < 1 || parts.length > 4) return undefined;
  const values: number[] = [];
  for (const part of parts) {
    let value: number;
    if (/^0x[0-9a-f]*$/i.test(part)) value = part.length === 2 ? 0 : parseInt(part.slice(2), 16);
    else if (/^0[0-7]*$/.test(part)) value = part.length === 1 ? 0 : parseInt(part.slice(1), 8);
    else if (/^[1-9][0-9]*$/.test(part)) value = parseInt(part, 10);
    else return undefined;
    if (!Number.isSafeInteger(value)) return undefined;
    values.push(value);
  }
  const last = values.pop() as number;
  if (values.some((v) => v > 255)) return undefined;
  const lastMax = 2 ** (8 * (4 - values.length)) - 1;
  if (last > lastMax) return undefined;
  let result = 0;
  values.forEach((v, i) => {
    result += v * 2 ** (8 * (3 - i));
  });
  return result + last;
}

/** Parses IPv6 (optionally bracketed, with a zone id, with a trailing dotted IPv4) into a 128-bit value. */
export function parseIPv6(text: string): bigint | undefined {
  let s = text;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (!s.includes(':')) return undefined;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  const last = s.slice(lastColon + 1);
  if (last.includes('.')) {
    // A dotted IPv4 address in the low 32 bits ("::ffff:127.0.0.1").
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(last)) return undefined;
    const octets = last.split('.').map(Number) as [number, number, number, number];
    if (octets.some((n) => n > 255)) return undefined;
    tail = [(octets[0] << 8) | octets[1], (octets[2] << 8) | octets[3]];
    s = s.slice(0, lastColon + 1);
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups = part.split(':');
    const out: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parseGroups(halves[0] as string);
  const rest = halves.length === 2 ? parseGroups(halves[1] as string) : [];
  if (!head || !rest) return undefined;
  const explicit = head.length + rest.length + tail.length;
  let groups: number[];
  if (halves.length === 2) {
    if (explicit > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - explicit).fill(0), ...rest, ...tail];
  } else {
    groups = [...head, ...tail];
    if (groups.length !== 8) return undefined;
  }
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  return value;
}

function v4(cidr: string, label: string, metadata = false): Range {
  const [ip, bits] = cidr.split('/') as [string, string];
  return { base: BigInt(parseIPv4(ip) as number), bits: 32, prefix: Number(bits), label, metadata };
}
function v6(cidr: string, label: string, metadata = false): Range {
  const [ip, bits] = cidr.split('/') as [string, string];
  return { base: parseIPv6(ip) as bigint, bits: 128, prefix: Number(bits), label, metadata };
}

// Most specific first: the first match names the reason.
const V4_RANGES: Range[] = [
  v4('169.254.169.254/32', 'cloud metadata endpoint', true),
  v4('100.100.100.200/32', 'cloud metadata endpoint (Alibaba)', true),
  v4('168.63.129.16/32', 'cloud platform endpoint (Azure WireServer)', true),
  v4('192.0.0.192/32', 'cloud metadata endpoint (Oracle)', true),
  v4('0.0.0.0/8', 'unspecified ("this network")'),
  v4('10.0.0.0/8', 'private network'),
  v4('100.64.0.0/10', 'carrier-grade NAT'),
  v4('127.0.0.0/8', 'loopback'),
  v4('169.254.0.0/16', 'link-local'),
  v4('172.16.0.0/12', 'private network'),
  v4('192.0.0.0/24', 'IETF protocol assignments'),
  v4('192.0.2.0/24', 'documentation'),
  v4('192.88.99.0/24', '6to4 relay anycast'),
  v4('192.168.0.0/16', 'private network'),
  v4('198.18.0.0/15', 'benchmarking'),
  v4('198.51.100.0/24', 'documentation'),
  v4('203.0.113.0/24', 'documentation'),
  v4('224.0.0.0/4', 'multicast'),
  v4('240.0.0.0/4', 'reserved'),
];

const V6_RANGES: Range[] = [
  v6('fd00:ec2::254/128', 'cloud metadata endpoint (AWS IPv6)', true),
  v6('::/128', 'unspecified'),
  v6('::1/128', 'loopback'),
  v6('::/96', 'IPv4-compatible (deprecated)'),
  v6('64:ff9b:1::/48', 'local-use NAT64'),
  v6('100::/64', 'discard-only'),
  v6('2001::/23', 'IETF protocol assignments (incl. Teredo)'),
  v6('2001:db8::/32', 'documentation'),
  v6('fc00::/7', 'unique local'),
  v6('fe80::/10', 'link-local'),
  v6('fec0::/10', 'site-local (deprecated)'),
  v6('ff00::/8', 'multicast'),
];

const MAPPED_PREFIX = parseIPv6('::ffff:0:0') as bigint;
const NAT64_PREFIX = parseIPv6('64:ff9b::') as bigint;
const SIXTOFOUR_PREFIX = parseIPv6('2002::') as bigint;

function inRange(value: bigint, range: Range): boolean {
  const shift = BigInt(range.bits - range.prefix);
  return value >> shift === range.base >> shift;
}

/** The IPv4 address an IPv6 address stands for, when it embeds one. */
function embeddedV4(value: bigint): number | undefined {
  if (value >> 32n === MAPPED_PREFIX >> 32n) return Number(value & 0xffffffffn);
  if (value >> 32n === NAT64_PREFIX >> 32n) return Number(value & 0xffffffffn);
  if (value >> 112n === SIXTOFOUR_PREFIX >> 112n) return Number((value >> 80n) & 0xffffffffn);
  return undefined;
}

export interface ParsedAddress {
  family: 4 | 6;
  value: bigint;
}

export function parseAddress(text: string): ParsedAddress | undefined {
  const asV4 = parseIPv4(text);
  if (asV4 !== undefined) return { family: 4, value: BigInt(asV4) };
  const asV6 = parseIPv6(text);
  if (asV6 !== undefined) return { family: 6, value: asV6 };
  return undefined;
}

function formatV4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

/** A CIDR (or single address) an operator trusts despite being private, e.g. an internal API. */
interface TrustedRange {
  family: 4 | 6;
  range: Range;
}

export interface AddressPolicyOptions {
  /** ALLOW_PRIVATE_NETWORK: private and loopback ranges become reachable; metadata endpoints do not. */
  allowPrivateNetwork?: boolean;
  /** Addresses or CIDRs reachable regardless (`10.1.2.3`, `10.1.0.0/16`, `fd12::/16`). */
  trusted?: readonly string[];
}

export class AddressPolicy {
  private readonly allowPrivate: boolean;
  private readonly trusted: TrustedRange[];

  constructor(options: AddressPolicyOptions = {}) {
    this.allowPrivate = options.allowPrivateNetwork === true;
    this.trusted = (options.trusted ?? []).map(parseTrusted);
  }

  check(address: string): AddressVerdict {
    const parsed = parseAddress(address);
    if (!parsed) return { allowed: false, address, reason: 'not an IP address' };
    const special = this.classify(parsed);
    if (!special) return { allowed: true, address };
    if (this.isTrusted(parsed)) return { allowed: true, address };
    if (this.allowPrivate && !special.metadata) return { allowed: true, address };
    return { allowed: false, address, reason: special.label };
  }

  private classify(parsed: ParsedAddress): { label: string; metadata: boolean } | undefined {
    if (parsed.family === 4) {
      const hit = V4_RANGES.find((r) => inRange(parsed.value, r));
      return hit && { label: hit.label, metadata: hit.metadata === true };
    }
    const inner = embeddedV4(parsed.value);
    if (inner !== undefined) {
      const hit = this.classify({ family: 4, value: BigInt(inner) });
      return hit && { label: `${hit.label} (${formatV4(inner)} inside IPv6)`, metadata: hit.metadata };
    }
    const hit = V6_RANGES.find((r) => inRange(parsed.value, r));
    return hit && { label: hit.label, metadata: hit.metadata === true };
  }

  private isTrusted(parsed: ParsedAddress): boolean {
    const candidates: ParsedAddress[] = [parsed];
    if (parsed.family === 6) {
      const inner = embeddedV4(parsed.value);
      if (inner !== undefined) candidates.push({ family: 4, value: BigInt(inner) });
    }
    return candidates.some((c) =>
      this.trusted.some((t) => t.family === c.family && inRange(c.value, t.range)),
    );
  }
}

function parseTrusted(cidr: string): TrustedRange {
  const [ip, bitsText] = cidr.split('/') as [string, string | undefined];
  const parsed = parseAddress(ip);
  if (!parsed) throw new Error(`trusted address "${cidr}" is not an IP address or CIDR`);
  const bits = parsed.family === 4 ? 32 : 128;
  const prefix = bitsText === undefined ? bits : Number(bitsText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits)
    throw new Error(`trusted address "${cidr}" has a bad prefix length`);
  return { family: parsed.family, range: { base: parsed.value, bits, prefix, label: 'trusted' } };
}
