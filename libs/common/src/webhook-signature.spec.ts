import { describe, expect, it } from 'vitest';
import { webhookSignatureSchema } from './trigger-schemas';
import {
  githubSignature,
  signatureHeader,
  stripeSignature,
  verifyWebhookSignature,
  type WebhookSignatureConfig,
} from './webhook-signature';

const config = (input: Record<string, unknown>): WebhookSignatureConfig =>
  webhookSignatureSchema.parse({ secret: 'HOOK_SECRET', ...input });

const now = new Date('2023-11-14T22:13:20Z'); // unix 1700000000

describe('verifyWebhookSignature', () => {
  describe('github', () => {
    const github = config({ scheme: 'github' });
    // GitHub's published example ("Validating webhook deliveries").
    const secret = "It's a Secret to Everybody";
    const rawBody = Buffer.from('Hello, World!');
    const published = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

    it('accepts GitHub’s published test vector, and signs it the same way', () => {
      expect(githubSignature(secret, rawBody)).toBe(published);
      expect(
        verifyWebhookSignature(github, {
          rawBody,
          secret,
          now,
          headers: { 'x-hub-signature-256': published },
        }),
      ).toEqual({ ok: true });
    });

    it('refuses another body, another secret, a missing or malformed header', () => {
      const check = (headers: Record<string, string>, body = rawBody, key = secret) =>
        verifyWebhookSignature(github, { rawBody: body, secret: key, now, headers });
      const refused = { ok: false, code: 'WEBHOOK_SIGNATURE_INVALID' };
      expect(check({ 'x-hub-signature-256': published }, Buffer.from('Hello, World?'))).toMatchObject(
        refused,
      );
      expect(check({ 'x-hub-signature-256': published }, rawBody, 'other')).toMatchObject(refused);
      expect(check({})).toMatchObject({ ...refused, reason: 'the x-hub-signature-256 header is missing' });
      expect(check({ 'x-hub-signature-256': published.slice('sha256='.length) })).toMatchObject(refused);
      expect(check({ 'x-hub-signature-256': `${published}00` })).toMatchObject(refused);
      expect(check({ 'x-hub-signature-256': 'sha256=zz' })).toMatchObject(refused);
    });

    it('reads a configured header instead of GitHub’s', () => {
      const custom = config({ scheme: 'github', header: 'x-gitea-signature' });
      expect(signatureHeader(custom)).toBe('x-gitea-signature');
      expect(
        verifyWebhookSignature(custom, { rawBody, secret, now, headers: { 'x-gitea-signature': published } }),
      ).toEqual({ ok: true });
    });
  });

  describe('stripe', () => {
    const stripe = config({ scheme: 'stripe' });
    const secret = 'whsec_test_secret';
    const rawBody = Buffer.from('{"id":"evt_1","type":"charge.succeeded"}');
    // Computed independently: printf '1700000000.<body>' | openssl dgst -sha256 -hmac whsec_test_secret
    const digest = 'c0475716eb2200f1fe97fcf35a3c05d1fd4f8ba9a07a596730c8d18bb87c0672';
    const check = (header: string, at = now) =>
      verifyWebhookSignature(stripe, { rawBody, secret, now: at, headers: { 'stripe-signature': header } });

    it('accepts a v1 digest of "<t>.<body>" within the tolerance, among other entries', () => {
      expect(stripeSignature(secret, rawBody, 1_700_000_000)).toBe(`t=1700000000,v1=${digest}`);
      expect(check(`t=1700000000,v1=${digest}`)).toEqual({ ok: true });
      expect(check(`t=1700000000,v1=${'0'.repeat(64)},v1=${digest},v0=abc`)).toEqual({ ok: true });
      expect(check(`t=1700000000,v1=${digest}`, new Date(now.getTime() + 299_000))).toEqual({ ok: true });
    });

    it('refuses a timestamp outside the tolerance as expired, either way in time', () => {
      expect(check(`t=1700000000,v1=${digest}`, new Date(now.getTime() + 301_000))).toMatchObject({
        ok: false,
        code: 'WEBHOOK_SIGNATURE_EXPIRED',
      });
      expect(check(`t=1700000000,v1=${digest}`, new Date(now.getTime() - 301_000))).toMatchObject({
        code: 'WEBHOOK_SIGNATURE_EXPIRED',
      });
    });

    it('refuses a digest of another timestamp as invalid, not expired (the timestamp is signed)', () => {
      expect(check(`t=1600000000,v1=${digest}`)).toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID' });
    });

    it('refuses a header without t or without v1', () => {
      expect(check(`v1=${digest}`)).toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID' });
      expect(check('t=1700000000')).toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID' });
      expect(check(`t=soon,v1=${digest}`)).toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID' });
    });
  });

  describe('hmac-sha256', () => {
    const rawBody = Buffer.from('{"a":1}');
    // printf '{"a":1}' | openssl dgst -sha256 -hmac k3y -binary | base64
    const base64 = 'MttxnxcsSOidv6Vu0g2eGc2/2+n2UszfX6A0lNJESFM=';
    const hex = Buffer.from(base64, 'base64').toString('hex');

    it('reads the configured header, prefix and encoding', () => {
      const plain = config({ scheme: 'hmac-sha256' });
      expect(signatureHeader(plain)).toBe('x-webhook-signature');
      expect(
        verifyWebhookSignature(plain, {
          rawBody,
          secret: 'k3y',
          now,
          headers: { 'x-webhook-signature': hex },
        }),
      ).toEqual({ ok: true });
      const shaped = config({ scheme: 'hmac-sha256', header: 'x-sig', encoding: 'base64', prefix: 'v1=' });
      const headers = (value: string) => ({ 'x-sig': value });
      const verify = (value: string) =>
        verifyWebhookSignature(shaped, { rawBody, secret: 'k3y', now, headers: headers(value) });
      expect(verify(`v1=${base64}`)).toEqual({ ok: true });
      expect(verify(`v1=${base64.replace(/\+/g, '-').replace(/\//g, '_')}`)).toEqual({ ok: true });
      expect(verify(base64)).toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID' });
      expect(verify(`v1=${hex}`)).toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID' });
    });

    it('with a timestamp header, signs "<timestamp>.<body>" and applies the tolerance', () => {
      const stamped = config({
        scheme: 'hmac-sha256',
        header: 'x-sig',
        timestampHeader: 'x-sig-time',
        toleranceSeconds: 60,
      });
      const signed = stripeSignature('k3y', rawBody, 1_700_000_000).split('v1=')[1]!;
      const verify = (time: string | undefined, at = now) =>
        verifyWebhookSignature(stamped, {
          rawBody,
          secret: 'k3y',
          now: at,
          headers: { 'x-sig': signed, ...(time !== undefined && { 'x-sig-time': time }) },
        });
      expect(verify('1700000000')).toEqual({ ok: true });
      expect(verify('1700000000', new Date(now.getTime() + 61_000))).toMatchObject({
        code: 'WEBHOOK_SIGNATURE_EXPIRED',
      });
      expect(verify('1700000001')).toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID' });
      expect(verify(undefined)).toMatchObject({
        code: 'WEBHOOK_SIGNATURE_INVALID',
        reason: 'the x-sig-time header is missing',
      });
    });
  });
});
