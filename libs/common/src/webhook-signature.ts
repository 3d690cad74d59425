import { createHmac, timingSafeEqual } from 'node:crypto';
import { ErrorCodes } from './errors';
import type { WebhookTriggerConfig } from './trigger-schemas';

/** A webhook trigger's `signature` block, with its defaults applied (see webhookSignatureSchema). */
export type WebhookSignatureConfig = NonNullable<WebhookTriggerConfig['signature']>;

/** Why a signed request is refused; the codes are stable (docs/webhooks.md, "Signatures"). */
export type SignatureVerdict =
  | { ok: true }
  | {
      ok: false;
      code: typeof ErrorCodes.WEBHOOK_SIGNATURE_INVALID | typeof ErrorCodes.WEBHOOK_SIGNATURE_EXPIRED;
      reason: string;
    };

export interface SignedRequest {
  /** The body exactly as it arrived: the signature covers bytes, not a re-serialized parse. */
  rawBody: Buffer;
  /** Request headers by lower-case name, as Node gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** The shared key: the named workspace secret's value. */
  secret: string;
  now: Date;
}

const DEFAULT_HEADERS = {
  github: 'x-hub-signature-256',
  stripe: 'stripe-signature',
  'hmac-sha256': 'x-webhook-signature',
} as const;

/** The header a trigger's signature is read from: the configured one, else the scheme's. */
export function signatureHeader(config: Pick<WebhookSignatureConfig, 'scheme' | 'header'>): string {
  return config.header ?? DEFAULT_HEADERS[config.scheme];
}

/**
 * Checks a webhook request's HMAC-SHA256 signature over its raw body.
 *
 * - github: `X-Hub-Signature-256: sha256=<hex digest of the body>`.
 * - stripe: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, each v1 a digest of `<t>.<body>`
 *   (several v1 while a secret is rolled); `t` must be within `toleranceSeconds` of now.
 * - hmac-sha256: the configured header holds `<prefix><digest>` in hex or base64; with `timestampHeader`,
 *   the signed text is `<timestamp>.<body>` and the timestamp must be within the tolerance.
 *
 * The signature is checked before the timestamp, so only a sender holding the secret ever learns that
 * a timestamp was too old. Digests are compared in constant time.
 */
export function verifyWebhookSignature(
  config: WebhookSignatureConfig,
  request: SignedRequest,
): SignatureVerdict {
  const headerName = signatureHeader(config);
  const value = headerValue(request.headers, headerName);
  if (value === undefined) return invalid(`the ${headerName} header is missing`);
  switch (config.scheme) {
    case 'github': {
      const digest = decodeDigest(value, 'sha256=', 'hex');
      if (!digest) return invalid(`${headerName} must be "sha256=" followed by 64 hex digits`);
      return digestMatches(digest, hmac(request.secret, [request.rawBody]))
        ? { ok: true }
        : invalid(`${headerName} does not match the body`);
    }
    case 'stripe': {
      const parsed = parseStripeHeader(value);
      if (!parsed) return invalid(`${headerName} must be "t=<unix seconds>,v1=<hex digest>"`);
      const expected = hmac(request.secret, [Buffer.from(`${parsed.timestamp}.`), request.rawBody]);
      // Every v1 is compared, so the time taken does not say which one (if any) matched.
      const matched = parsed.signatures.reduce(
        (any, digest) => digestMatches(digest, expected) || any,
        false,
      );
      if (!matched) return invalid(`${headerName} does not match the body`);
      return withinTolerance(parsed.timestamp, config.toleranceSeconds, request.now);
    }
    case 'hmac-sha256': {
      const digest = decodeDigest(value, config.prefix, config.encoding);
      if (!digest) {
        return invalid(
          `${headerName} must be ${config.prefix ? `"${config.prefix}" followed by ` : ''}a ${config.encoding} HMAC-SHA256 digest`,
        );
      }
      if (!config.timestampHeader) {
        return digestMatches(digest, hmac(request.secret, [request.rawBody]))
          ? { ok: true }
          : invalid(`${headerName} does not match the body`);
      }
      const stamp = headerValue(request.headers, config.timestampHeader);
      if (stamp === undefined) return invalid(`the ${config.timestampHeader} header is missing`);
      const timestamp = parseUnixSeconds(stamp);
      if (timestamp === null) return invalid(`${config.timestampHeader} must be a unix time in seconds`);
      const expected = hmac(request.secret, [Buffer.from(`${stamp}.`), request.rawBody]);
      if (!digestMatches(digest, expected)) return invalid(`${headerName} does not match the body`);
      return withinTolerance(timestamp, config.toleranceSeconds, request.now);
    }
  }
}

/** `sha256=<hex>` as GitHub sends it: for signing test requests and documentation examples. */
export function githubSignature(secret: string, body: Buffer | string): string {
  return `sha256=${hmac(secret, [Buffer.from(body)]).toString('hex')}`;
}

/** `t=<unix>,v1=<hex>` as Stripe sends it. */
export function stripeSignature(secret: string, body: Buffer | string, timestamp: number): string {
  return `t=${timestamp},v1=${hmac(secret, [Buffer.from(`${timestamp}.`), Buffer.from(body)]).toString('hex')}`;
}

function hmac(secret: string, parts: Buffer[]): Buffer {
  const mac = createHmac('sha256', secret);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** Lengths are public (a SHA-256 digest is 32 bytes), so only equal-length digests reach the compare. */
function digestMatches(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const HEX_DIGEST = /^[0-9a-fA-F]{64}$/;
const BASE64_DIGEST = /^[A-Za-z0-9+/]{43}=?$/;

/** The 32 digest bytes after `prefix`, or null when the text is not a digest in that encoding. */
function decodeDigest(value: string, prefix: string, encoding: 'hex' | 'base64'): Buffer | null {
  if (!value.startsWith(prefix)) return null;
  const text = value.slice(prefix.length).trim();
  if (encoding === 'hex') return HEX_DIGEST.test(text) ? Buffer.from(text, 'hex') : null;
  // base64url senders exist too: accept both alphabets.
  const standard = text.replace(/-/g, '+').replace(/_/g, '/');
  return BASE64_DIGEST.test(standard) ? Buffer.from(standard, 'base64') : null;
}

function parseStripeHeader(value: string): { timestamp: number; signatures: Buffer[] } | null {
  let timestamp: number | null = null;
  const signatures: Buffer[] = [];
  for (const part of value.split(',')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const key = part.slice(0, at).trim();
    const text = part.slice(at + 1).trim();
    if (key === 't') timestamp = parseUnixSeconds(text);
    // v0 and other schemes Stripe may add are not HMAC-SHA256 over this payload: ignored, as Stripe's SDKs do.
    else if (key === 'v1' && HEX_DIGEST.test(text)) signatures.push(Buffer.from(text, 'hex'));
  }
  return timestamp === null || signatures.length === 0 ? null : { timestamp, signatures };
}

function parseUnixSeconds(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d{1,12}$/.test(trimmed)) return null;
  return Number(trimmed);
}

function withinTolerance(timestamp: number, toleranceSeconds: number, now: Date): SignatureVerdict {
  const age = Math.abs(now.getTime() / 1000 - timestamp);
  if (age <= toleranceSeconds) return { ok: true };
  return {
    ok: false,
    code: ErrorCodes.WEBHOOK_SIGNATURE_EXPIRED,
    reason: `the signed timestamp is ${Math.round(age)} s away from now; at most ${toleranceSeconds} s is accepted`,
  };
}

function headerValue(headers: SignedRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? undefined : text;
}

function invalid(reason: string): SignatureVerdict {
  return { ok: false, code: ErrorCodes.WEBHOOK_SIGNATURE_INVALID, reason };
}
