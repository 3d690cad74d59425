import { generateKeyPairSync } from 'node:crypto';
import { type UnsignedBundle } from '@mendflow/contracts';
import { describe, expect, it } from 'vitest';
import {
  generateSigningKeyPair,
  parsePublicKey,
  signBundle,
  signingPayload,
  verifyBundleSignature,
} from './bundle-signature';

const publisherKeys = generateSigningKeyPair();

function unsigned(keys = publisherKeys): UnsignedBundle {
  return {
    format: 'mendflow.bundle/v1',
    automation: {
      name: 'Nightly report',
      description: 'Sends the report',
      source: 'export default async (ctx) => ({ ok: true });',
      language: 'javascript',
      manifest: { limits: { timeoutMs: 5000 }, triggers: [], permissions: { hosts: ['api.example.com'] } },
      version: 3,
    },
    publisher: {
      workspaceId: '7d0c8f3e-4b7a-4d2b-9f63-0b6d3c2a1e55',
      workspaceName: 'Acme',
      publicKey: keys.publicKey,
      fingerprint: keys.fingerprint,
    },
    exportedAt: '2026-12-02T12:00:00.000Z',
  };
}

describe('signing keys', () => {
  it('are Ed25519, encoded as base64 SPKI, fingerprinted by the SHA-256 of the raw key', () => {
    const parsed = parsePublicKey(publisherKeys.publicKey);
    expect(parsed?.key.asymmetricKeyType).toBe('ed25519');
    expect(publisherKeys.publicKey).toHaveLength(60);
    expect(parsed?.fingerprint).toBe(publisherKeys.fingerprint);
    expect(publisherKeys.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('read a PEM block as the same key', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const der = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    expect(parsePublicKey(pem)).toMatchObject({ publicKey: der });
    expect(parsePublicKey(`  ${der}\n`)?.fingerprint).toBe(parsePublicKey(pem)?.fingerprint);
  });

  it('refuse what is not an Ed25519 public key', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const ed = generateKeyPairSync('ed25519');
    expect(parsePublicKey(rsa.publicKey.export({ format: 'pem', type: 'spki' }).toString())).toBeNull();
    expect(parsePublicKey(ed.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString())).toBeNull();
    expect(parsePublicKey('not a key')).toBeNull();
    expect(parsePublicKey('')).toBeNull();
  });
});

describe('canonical serialization (RFC 8785)', () => {
  it('does not depend on key order or formatting', () => {
    const bundle = unsigned();
    const reordered = JSON.parse(
      JSON.stringify(
        {
          exportedAt: bundle.exportedAt,
          publisher: bundle.publisher,
          automation: {
            ...bundle.automation,
            manifest: {
              permissions: bundle.automation.manifest.permissions,
              triggers: [],
              limits: { timeoutMs: 5000 },
            },
          },
          format: bundle.format,
        },
        null,
        2,
      ),
    ) as UnsignedBundle;
    expect(signingPayload(reordered).equals(signingPayload(bundle))).toBe(true);
  });

  it('sorts keys and writes no whitespace', () => {
    const text = signingPayload(unsigned()).toString('utf8');
    expect(text).toMatch(
      /^\{"automation":\{"description":"Sends the report","language":"javascript","manifest":\{"limits"/,
    );
    expect(text).not.toMatch(/\n|": /);
  });
});

describe('bundle signatures', () => {
  it('verify for the bundle as signed, also after a JSON round trip', () => {
    const bundle = signBundle(unsigned(), publisherKeys.privateKeyPem);
    expect(Buffer.from(bundle.signature, 'base64')).toHaveLength(64);
    expect(verifyBundleSignature(bundle)).toBe(true);
    expect(verifyBundleSignature(JSON.parse(JSON.stringify(bundle, null, 4)))).toBe(true);
  });

  const tampers: Array<[string, (bundle: ReturnType<typeof signBundle>) => void]> = [
    ['automation.name', (b) => (b.automation.name = 'Other')],
    ['automation.description', (b) => (b.automation.description = null)],
    ['automation.source', (b) => (b.automation.source += ' ')],
    ['automation.manifest', (b) => (b.automation.manifest.limits = { timeoutMs: 60_000 })],
    ['automation.version', (b) => (b.automation.version = 4)],
    ['publisher.workspaceId', (b) => (b.publisher.workspaceId = '00000000-0000-4000-8000-000000000000')],
    ['publisher.workspaceName', (b) => (b.publisher.workspaceName = 'Evil')],
    ['publisher.fingerprint', (b) => (b.publisher.fingerprint = '0'.repeat(64))],
    ['exportedAt', (b) => (b.exportedAt = '2026-12-02T12:00:01.000Z')],
    ['format', (b) => ((b as { format: string }).format = 'mendflow.bundle/v2')],
    ['signature', (b) => (b.signature = Buffer.alloc(64, 1).toString('base64'))],
    ['signature length', (b) => (b.signature = b.signature.slice(0, 40))],
  ];
  it.each(tampers)('do not verify once %s is changed', (_field, tamper) => {
    const bundle = structuredClone(signBundle(unsigned(), publisherKeys.privateKeyPem));
    tamper(bundle);
    expect(verifyBundleSignature(bundle)).toBe(false);
  });

  it('do not verify against another key: a bundle re-labelled with a different publisher key', () => {
    const other = generateSigningKeyPair();
    const bundle = signBundle(unsigned(), publisherKeys.privateKeyPem);
    expect(
      verifyBundleSignature({ ...bundle, publisher: { ...bundle.publisher, publicKey: other.publicKey } }),
    ).toBe(false);
  });

  it('do not verify when signed by a key other than the one the bundle names', () => {
    const other = generateSigningKeyPair();
    expect(verifyBundleSignature(signBundle(unsigned(publisherKeys), other.privateKeyPem))).toBe(false);
  });

  it('do not verify with a publisher key that is not a key', () => {
    const bundle = signBundle(unsigned(), publisherKeys.privateKeyPem);
    expect(verifyBundleSignature({ ...bundle, publisher: { ...bundle.publisher, publicKey: 'AAAA' } })).toBe(
      false,
    );
  });
});
