import { z } from 'zod';
import '../zod-config';
import { SCRIPT_LANGUAGES } from '../script-language';

/**
 * Signed bundles (docs/bundles.md): an automation exported with the publishing workspace's Ed25519
 * signature, and the keys involved. Browser-safe: the API validates imports with these schemas, the
 * dashboard and the CLI read the same shapes.
 */

export const BUNDLE_FORMAT = 'mendflow.bundle/v1';
export const SIGNING_ALGORITHM = 'ed25519';

/** Standard base64 (with padding), as Node's Buffer writes it. */
const base64 = z.string().regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, {
  error: 'must be standard base64',
});

/** A public key as Mendflow writes it: base64 of the DER SubjectPublicKeyInfo (60 characters for Ed25519). */
export const publicKeyText = base64.min(1, 'must not be empty').max(200, 'must be at most 200 characters');

/** SHA-256 of the raw 32-byte Ed25519 public key, lowercase hex. */
export const keyFingerprint = z
  .string()
  .regex(/^[0-9a-f]{64}$/, { error: 'must be 64 lowercase hex characters' });

/**
 * What a bundle carries of the automation: its deployed version. No transforms here (no trimming, no
 * defaults): the signature is checked over exactly the parsed value, so parsing must not change it.
 */
export const bundleAutomationSchema = z
  .strictObject({
    name: z.string().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
    description: z.string().max(2000, 'must be at most 2000 characters').nullable(),
    source: z.string().min(1, 'must not be empty').max(262_144, 'must be at most 256 KiB'),
    /** The manifest as deployed (normalized); the importing workspace lints and checks it again. */
    manifest: z.record(z.string(), z.unknown()),
    /** The version number it had in the publishing workspace (informational: an import is version 1). */
    version: z.int().min(1),
    /** The language the source is written in; the import deploys it as such (TypeScript is type-stripped). */
    language: z.enum(SCRIPT_LANGUAGES),
  })
  .meta({ id: 'BundleAutomation' });

export const bundlePublisherSchema = z
  .strictObject({
    workspaceId: z.uuid(),
    workspaceName: z.string().max(200),
    publicKey: publicKeyText,
    fingerprint: keyFingerprint,
  })
  .meta({ id: 'BundlePublisher' });

/** Everything a signature covers: the bundle without its `signature`. */
export const unsignedBundleSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT, { error: `must be "${BUNDLE_FORMAT}"` }),
  automation: bundleAutomationSchema,
  publisher: bundlePublisherSchema,
  exportedAt: z.iso.datetime({ offset: false, error: 'must be an ISO 8601 UTC timestamp' }),
});
export type UnsignedBundle = z.output<typeof unsignedBundleSchema>;

export const bundleSchema = unsignedBundleSchema
  .extend({
    /** Ed25519 signature, base64, over the RFC 8785 canonical JSON of the other four fields. */
    signature: base64.min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  })
  .meta({ id: 'Bundle', description: 'An automation signed by its publishing workspace (docs/bundles.md)' });
export type Bundle = z.output<typeof bundleSchema>;

export const signingKeySchema = z
  .strictObject({
    algorithm: z.literal(SIGNING_ALGORITHM),
    publicKey: publicKeyText,
    fingerprint: keyFingerprint,
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'SigningKey', description: "The workspace's bundle-signing public key" });
export type SigningKey = z.output<typeof signingKeySchema>;

export const trustedPublisherSchema = z
  .strictObject({
    id: z.uuid(),
    name: z.string(),
    publicKey: publicKeyText,
    fingerprint: keyFingerprint,
    /** The user who trusted it. */
    addedBy: z.uuid().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'TrustedPublisher' });
export type TrustedPublisher = z.output<typeof trustedPublisherSchema>;

export const trustedPublisherListSchema = z
  .strictObject({ items: z.array(trustedPublisherSchema) })
  .meta({ id: 'TrustedPublisherList' });
