import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: object,
) => Promise<Buffer>;

/** API keys are 256 random bits; the prefix identifies one in lists without revealing it. */
export function generateApiKey(): string {
  return `mf_${randomBytes(32).toString('base64url')}`;
}

export function apiKeyPrefix(key: string): string {
  return key.slice(0, 10);
}

/** A fast hash suffices for high-entropy keys (nothing to brute-force) and allows lookup by hash. */
export function hashApiKey(key: string): string {
  return sha256Hex(key);
}

/** A dashboard session's cookie value: 256 random bits. */
export function generateSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Stored instead of the session token, for the same reason as API keys: a leaked row is not a cookie. */
export function hashSessionToken(token: string): string {
  return sha256Hex(token);
}

/** An invitation link's secret: 256 random bits, shown once to whoever invites. */
export function generateInvitationToken(): string {
  return `mfi_${randomBytes(32).toString('base64url')}`;
}

/** Stored instead of the invitation token, for the same reason as API keys. */
export function hashInvitationToken(token: string): string {
  return sha256Hex(token);
}

/** The per-session secret a dashboard echoes in `x-csrf-token`; a cross-site page cannot read it. */
export function generateCsrfToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Compares two secrets without leaking, through timing, how much of a guess was right. */
export function secretsEqual(a: string, b: string): boolean {
  const left = Buffer.from(sha256Hex(a));
  const right = Buffer.from(sha256Hex(b));
  return timingSafeEqual(left, right);
}

function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

// scrypt with N=2^15, r=8 (32 MiB, ~100 ms): Node's built-in, so no native module to build.
const SCRYPT = { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LENGTH = 64;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password.normalize('NFKC'), salt, KEY_LENGTH, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(password.normalize('NFKC'), Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
  return timingSafeEqual(actual, expected);
}
