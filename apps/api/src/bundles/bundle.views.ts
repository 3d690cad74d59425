import type { SigningKey, TrustedPublisher } from '@mendflow/contracts';
import type { SigningKeyRecord, TrustedPublisherRecord } from '@mendflow/db';

/** Response shapes, field by field: the sealed private key is never among them. */
export function signingKeyView(key: SigningKeyRecord): SigningKey {
  return {
    algorithm: 'ed25519',
    publicKey: key.publicKey,
    fingerprint: key.fingerprint,
    createdAt: key.createdAt.toISOString(),
  };
}

export function trustedPublisherView(publisher: TrustedPublisherRecord): TrustedPublisher {
  return {
    id: publisher.id,
    name: publisher.name,
    publicKey: publisher.publicKey,
    fingerprint: publisher.fingerprint,
    addedBy: publisher.addedBy,
    createdAt: publisher.createdAt.toISOString(),
  };
}

/**
 * `Content-Disposition` for a bundle download named `<name>.mendflow.json`: an ASCII fallback (quotes,
 * backslashes, control and non-ASCII characters replaced) and the exact name in RFC 5987 `filename*`.
 */
export function bundleDisposition(automationName: string): string {
  const filename = `${automationName}.mendflow.json`;
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
