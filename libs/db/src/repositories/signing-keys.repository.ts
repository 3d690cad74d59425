import { DomainError, ErrorCodes, NotFoundError } from '@mendflow/common';
import type { Db } from '../database';
import { isUniqueViolation } from '../errors';

export interface SigningKeyRecord {
  workspaceId: string;
  /** Base64 of the DER SubjectPublicKeyInfo. */
  publicKey: string;
  /** Sealed with SecretBox by the caller; the repository never sees the private key in clear. */
  privateKeyCiphertext: string;
  fingerprint: string;
  createdAt: Date;
}

export interface TrustedPublisherRecord {
  id: string;
  workspaceId: string;
  name: string;
  publicKey: string;
  fingerprint: string;
  addedBy: string | null;
  createdAt: Date;
}

export const trustedPublisherNotFound = (id: string) =>
  new NotFoundError(ErrorCodes.TRUSTED_PUBLISHER_NOT_FOUND, 'trusted publisher', id);

/** A workspace's own bundle-signing key and the publisher keys it trusts (docs/bundles.md). */
export class SigningKeysRepository {
  constructor(private readonly db: Db) {}

  async getKey(workspaceId: string): Promise<SigningKeyRecord | null> {
    return this.db.workspaceSigningKey.findUnique({ where: { workspaceId } });
  }

  /**
   * Stores `candidate` as the workspace's key unless it already has one, and returns the key that
   * stands. Two concurrent first uses both generate a pair; the primary key lets exactly one insert
   * land (ON CONFLICT DO NOTHING) and both callers then read that one, so nothing is ever signed with
   * a key that was not kept.
   */
  async getOrCreateKey(
    workspaceId: string,
    candidate: { publicKey: string; privateKeyCiphertext: string; fingerprint: string },
  ): Promise<SigningKeyRecord> {
    const existing = await this.getKey(workspaceId);
    if (existing) return existing;
    await this.db.$executeRaw`
      INSERT INTO workspace_signing_keys (workspace_id, public_key, private_key_ciphertext, fingerprint)
      VALUES (${workspaceId}::uuid, ${candidate.publicKey}, ${candidate.privateKeyCiphertext}, ${candidate.fingerprint})
      ON CONFLICT (workspace_id) DO NOTHING`;
    const stored = await this.getKey(workspaceId);
    if (!stored) throw new Error(`the signing key of workspace ${workspaceId} was neither found nor created`);
    return stored;
  }

  listTrusted(workspaceId: string): Promise<TrustedPublisherRecord[]> {
    return this.db.trustedPublisher.findMany({
      where: { workspaceId },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
  }

  /** The trusted publisher holding the key with this fingerprint, if the workspace trusts it. */
  findTrustedByFingerprint(workspaceId: string, fingerprint: string): Promise<TrustedPublisherRecord | null> {
    return this.db.trustedPublisher.findUnique({
      where: { workspaceId_fingerprint: { workspaceId, fingerprint } },
    });
  }

  async addTrusted(
    workspaceId: string,
    input: { name: string; publicKey: string; fingerprint: string; addedBy: string },
  ): Promise<TrustedPublisherRecord> {
    try {
      return await this.db.trustedPublisher.create({ data: { workspaceId, ...input } });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new DomainError(
          ErrorCodes.PUBLISHER_ALREADY_TRUSTED,
          'conflict',
          `publicKey: the key with fingerprint ${input.fingerprint} is already trusted`,
          { field: 'publicKey', fingerprint: input.fingerprint },
        );
      throw error;
    }
  }

  async removeTrusted(workspaceId: string, id: string): Promise<TrustedPublisherRecord> {
    const row = await this.db.trustedPublisher.findFirst({ where: { workspaceId, id } });
    if (!row) throw trustedPublisherNotFound(id);
    const { count } = await this.db.trustedPublisher.deleteMany({ where: { workspaceId, id } });
    if (count === 0) throw trustedPublisherNotFound(id);
    return row;
  }
}
