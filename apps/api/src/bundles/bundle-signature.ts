import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { type Bundle, type UnsignedBundle } from '@mendflow/contracts';
import canonicalize from 'canonicalize';

/**
 * Signing and verifying bundles, with nothing else in the way (no database, no HTTP): Ed25519 over the
 * RFC 8785 (JSON Canonicalization Scheme) serialization of the bundle without its signature. JCS fixes
 * key order, whitespace, string escapes and number forms, so the signed bytes do not depend on how a
 * bundle was pretty-printed, re-saved by an editor, or which JSON library wrote it.
 */

export interface GeneratedKeyPair {
  /** Base64 of the DER SubjectPublicKeyInfo. */
  publicKey: string;
  /** PKCS#8 PEM: what the caller seals before it is stored. */
  privateKeyPem: string;
  fingerprint: string;
}

export function generateSigningKeyPair(): GeneratedKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKey: encodePublicKey(publicKey),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    fingerprint: fingerprintOf(publicKey),
  };
}

function encodePublicKey(key: KeyObject): string {
  return key.export({ format: 'der', type: 'spki' }).toString('base64');
}

/** SHA-256 of the raw 32-byte key (the JWK `x`), lowercase hex: the same for any encoding of the key. */
export function fingerprintOf(key: KeyObject): string {
  const { x } = key.export({ format: 'jwk' });
  if (!x) throw new Error('not an Ed25519 public key');
  return createHash('sha256').update(Buffer.from(x, 'base64url')).digest('hex');
}

export interface ParsedPublicKey {
  /** Normalized to base64 SPKI DER, however it was given. */
  publicKey: string;
  fingerprint: string;
  key: KeyObject;
}

/**
 * Reads an Ed25519 public key given as base64 SPKI DER (what Mendflow shows) or as a PEM block; null
 * when the text is not one (another algorithm, a private key, garbage).
 */
export function parsePublicKey(text: string): ParsedPublicKey | null {
  const trimmed = text.trim();
  // createPublicKey would also derive a public key from a private one: only a PUBLIC KEY block is a
  // public key here, so a pasted private key is refused rather than quietly accepted.
  if (trimmed.startsWith('-----BEGIN') && !trimmed.startsWith('-----BEGIN PUBLIC KEY-----')) return null;
  let key: KeyObject;
  try {
    key = trimmed.startsWith('-----BEGIN')
      ? createPublicKey({ key: trimmed, format: 'pem' })
      : createPublicKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'spki' });
  } catch {
    return null;
  }
  if (key.type !== 'public' || key.asymmetricKeyType !== 'ed25519') return null;
  return { publicKey: encodePublicKey(key), fingerprint: fingerprintOf(key), key };
}

/** The exact bytes a signature covers. */
export function signingPayload(unsigned: UnsignedBundle): Buffer {
  const text = canonicalize(unsigned);
  if (text === undefined) throw new Error('a bundle must serialize to JSON');
  return Buffer.from(text, 'utf8');
}

export function signBundle(unsigned: UnsignedBundle, privateKeyPem: string): Bundle {
  const signature = sign(null, signingPayload(unsigned), privateKeyPem).toString('base64');
  return { ...unsigned, signature };
}

/**
 * Whether `bundle.signature` is its publisher key's signature over the rest of the bundle. A key that
 * does not parse, or a signature of the wrong length, is simply "does not verify".
 */
export function verifyBundleSignature(bundle: Bundle): boolean {
  const publisher = parsePublicKey(bundle.publisher.publicKey);
  if (!publisher) return false;
  const { signature, ...unsigned } = bundle;
  const bytes = Buffer.from(signature, 'base64');
  if (bytes.length !== 64) return false;
  try {
    return verify(null, signingPayload(unsigned), publisher.key, bytes);
  } catch {
    return false;
  }
}
