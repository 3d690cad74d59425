import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A webhook URL's secret: 256 random bits, URL-safe, prefixed so it is recognizable in a leak scan. */
export function generateWebhookToken(): string {
  return `whk_${randomBytes(32).toString('base64url')}`;
}

/** Shown in lists and the audit trail to tell tokens apart without revealing them. */
export function webhookTokenPrefix(token: string): string {
  return token.slice(0, 12);
}

/** SHA-256 suffices for a 256-bit random token (nothing to brute-force), as for API keys. */
export function hashWebhookToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

// Compared against when the automation has no token, so a URL without one costs the same to refuse.
const NO_TOKEN = hashWebhookToken('');

/** Whether `token` is the one whose hash is stored, in time that does not depend on the stored hash. */
export function webhookTokenMatches(token: string, storedHash: string | null): boolean {
  const given = Buffer.from(hashWebhookToken(token), 'hex');
  const stored = Buffer.from(storedHash ?? NO_TOKEN, 'hex');
  return stored.length === given.length && timingSafeEqual(given, stored) && storedHash !== null;
}
