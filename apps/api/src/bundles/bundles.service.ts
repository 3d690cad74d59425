import { Injectable } from '@nestjs/common';
import {
  type AddTrustedPublisherBody,
  DomainError,
  ErrorCodes,
  type ImportBundleBody,
  parseOrThrow,
  ValidationError,
} from '@mendflow/common';
import { type Bundle, BUNDLE_FORMAT, bundleSchema, type UnsignedBundle } from '@mendflow/contracts';
import { AutomationsRepository, SigningKeysRepository, WorkspacesRepository } from '@mendflow/db';
import { AuditTrail } from '../audit/audit-trail.service';
import type { Principal } from '../auth/principal';
import { AutomationsService } from '../automations/automations.service';
import { parsePublicKey, signBundle, verifyBundleSignature } from './bundle-signature';
import { SigningKeysService } from './signing-keys.service';

/**
 * Export and import of signed bundles, and the trust list imports are checked against
 * (docs/bundles.md). An import is refused before anything is written: format, then signature, then
 * trust, then the ordinary create (lint, name, channels) through AutomationsService.
 */
@Injectable()
export class BundlesService {
  constructor(
    private readonly signingKeys: SigningKeysService,
    private readonly keys: SigningKeysRepository,
    private readonly automationsRepository: AutomationsRepository,
    private readonly workspaces: WorkspacesRepository,
    private readonly automations: AutomationsService,
    private readonly audit: AuditTrail,
  ) {}

  signingKey(principal: Principal) {
    return this.signingKeys.keyOf(principal.workspaceId);
  }

  async exportBundle(principal: Principal, automationId: string): Promise<Bundle> {
    const automation = await this.automationsRepository.get(principal.workspaceId, automationId);
    const version = automation.deployedVersion;
    if (!version)
      throw new DomainError(
        ErrorCodes.AUTOMATION_NOT_FOUND,
        'not_found',
        `automation ${automationId} has no deployed version to export`,
        { id: automationId },
      );
    const [key, workspace] = await Promise.all([
      this.signingKeys.keyOf(principal.workspaceId),
      this.workspaces.get(principal.workspaceId),
    ]);
    // Signed as it travels: a JSON round trip drops what JSON cannot carry (undefined fields), so the
    // importer's parsed bundle is byte for byte what was signed.
    const unsigned = JSON.parse(
      JSON.stringify({
        format: BUNDLE_FORMAT,
        automation: {
          name: automation.name,
          description: automation.description,
          source: version.source,
          language: version.language,
          manifest: version.manifest,
          version: version.number,
        },
        publisher: {
          workspaceId: principal.workspaceId,
          workspaceName: workspace?.name ?? '',
          publicKey: key.publicKey,
          fingerprint: key.fingerprint,
        },
        exportedAt: new Date().toISOString(),
      } satisfies UnsignedBundle),
    ) as UnsignedBundle;
    return signBundle(unsigned, this.signingKeys.openPrivateKey(key));
  }

  async importBundle(principal: Principal, body: ImportBundleBody) {
    const bundle = parseOrThrow(bundleSchema, body.bundle, {
      prefix: 'bundle',
      code: ErrorCodes.BUNDLE_INVALID,
    });
    const publisher = parsePublicKey(bundle.publisher.publicKey);
    if (!publisher)
      throw new ValidationError(
        [{ path: 'bundle.publisher.publicKey', message: 'is not an Ed25519 public key (base64 SPKI)' }],
        ErrorCodes.BUNDLE_INVALID,
      );
    // The fingerprint is signed too, but trust is decided on the key itself: a claimed fingerprint that
    // is not the key's would let a bundle pass for another publisher in a person's eyes.
    if (publisher.fingerprint !== bundle.publisher.fingerprint)
      throw new ValidationError(
        [
          {
            path: 'bundle.publisher.fingerprint',
            message: 'is not the fingerprint of bundle.publisher.publicKey',
          },
        ],
        ErrorCodes.BUNDLE_INVALID,
      );
    if (!verifyBundleSignature(bundle))
      throw new DomainError(
        ErrorCodes.BUNDLE_SIGNATURE_INVALID,
        'invalid',
        'bundle.signature: the signature does not verify: the bundle was changed after it was signed',
        { field: 'bundle.signature', fingerprint: publisher.fingerprint },
      );
    const trustedAs = await this.trustOf(principal.workspaceId, publisher.fingerprint, publisher.publicKey);
    if (!trustedAs)
      throw new DomainError(
        ErrorCodes.BUNDLE_PUBLISHER_UNTRUSTED,
        'forbidden',
        `the bundle is signed by key ${publisher.fingerprint} (workspace ${JSON.stringify(bundle.publisher.workspaceName)}), which this workspace does not trust: an admin may add it under Settings → Signing key & trusted publishers`,
        {
          fingerprint: publisher.fingerprint,
          publicKey: publisher.publicKey,
          workspaceName: bundle.publisher.workspaceName,
        },
      );
    const created = await this.automations.create(principal, {
      name: body.name ?? bundle.automation.name,
      ...(bundle.automation.description !== null && { description: bundle.automation.description }),
      source: bundle.automation.source,
      language: bundle.automation.language,
      manifest: bundle.automation.manifest,
    });
    await this.audit.record(principal, {
      action: 'automation.imported',
      targetKind: 'automation',
      targetId: created.id,
      data: {
        name: created.name,
        publisherFingerprint: publisher.fingerprint,
        publisherWorkspaceId: bundle.publisher.workspaceId,
        trustedAs,
        sourceVersion: bundle.automation.version,
      },
    });
    return created;
  }

  /** 'own' for the workspace's own key, 'publisher' for a trusted one, null otherwise. */
  private async trustOf(
    workspaceId: string,
    fingerprint: string,
    publicKey: string,
  ): Promise<'own' | 'publisher' | null> {
    const own = await this.keys.getKey(workspaceId);
    if (own?.fingerprint === fingerprint && own.publicKey === publicKey) return 'own';
    const trusted = await this.keys.findTrustedByFingerprint(workspaceId, fingerprint);
    return trusted?.publicKey === publicKey ? 'publisher' : null;
  }

  listTrusted(principal: Principal) {
    return this.keys.listTrusted(principal.workspaceId);
  }

  async addTrusted(principal: Principal, body: AddTrustedPublisherBody) {
    const parsed = parsePublicKey(body.publicKey);
    if (!parsed)
      throw new ValidationError([
        { path: 'publicKey', message: 'is not an Ed25519 public key (base64 SPKI DER or a PEM block)' },
      ]);
    const own = await this.signingKeys.keyOf(principal.workspaceId);
    if (own.fingerprint === parsed.fingerprint)
      throw new DomainError(
        ErrorCodes.PUBLISHER_ALREADY_TRUSTED,
        'conflict',
        "publicKey: this is the workspace's own signing key, which is always trusted",
        { field: 'publicKey', fingerprint: parsed.fingerprint },
      );
    const publisher = await this.keys.addTrusted(principal.workspaceId, {
      name: body.name,
      publicKey: parsed.publicKey,
      fingerprint: parsed.fingerprint,
      addedBy: principal.userId,
    });
    await this.audit.record(principal, {
      action: 'trusted_publisher.added',
      targetKind: 'trusted_publisher',
      targetId: publisher.id,
      data: { name: publisher.name, fingerprint: publisher.fingerprint },
    });
    return publisher;
  }

  async removeTrusted(principal: Principal, id: string) {
    const removed = await this.keys.removeTrusted(principal.workspaceId, id);
    await this.audit.record(principal, {
      action: 'trusted_publisher.removed',
      targetKind: 'trusted_publisher',
      targetId: id,
      data: { name: removed.name, fingerprint: removed.fingerprint },
    });
  }
}
