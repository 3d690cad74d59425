import { Inject, Injectable } from '@nestjs/common';
import { SecretBox } from '@mendflow/common';
import { type SigningKeyRecord, SigningKeysRepository } from '@mendflow/db';
import { SECRET_BOX } from '../secrets/secret-box.provider';
import { generateSigningKeyPair } from './bundle-signature';

/** The associated data a workspace's private signing key is sealed with: a copy to another row does not open. */
const sealContext = (workspaceId: string) => `bundle-signing-key:${workspaceId}`;

/**
 * Each workspace's Ed25519 key pair, made on first use. The private key leaves this class only as the
 * argument of a signature (openPrivateKey), never in a response, a log or an error.
 */
@Injectable()
export class SigningKeysService {
  constructor(
    private readonly keys: SigningKeysRepository,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
  ) {}

  async keyOf(workspaceId: string): Promise<SigningKeyRecord> {
    const existing = await this.keys.getKey(workspaceId);
    if (existing) return existing;
    const pair = generateSigningKeyPair();
    return this.keys.getOrCreateKey(workspaceId, {
      publicKey: pair.publicKey,
      fingerprint: pair.fingerprint,
      privateKeyCiphertext: this.box.seal(pair.privateKeyPem, sealContext(workspaceId)),
    });
  }

  /** The private key (PKCS#8 PEM) of a stored key, to sign with. */
  openPrivateKey(key: SigningKeyRecord): string {
    return this.box.open(key.privateKeyCiphertext, sealContext(key.workspaceId));
  }
}
