import { Injectable } from '@nestjs/common';
import { DomainError, NotFoundError, roleAtLeast, roleWithArticle, ValidationError } from '@mendflow/common';
import { type ApiKeyRecord, ApiKeysRepository } from '@mendflow/db';
import { AuditTrail } from '../audit/audit-trail.service';
import { Authenticator } from '../auth/authenticator.service';
import { apiKeyPrefix, generateApiKey, hashApiKey } from '../auth/credentials';
import type { Principal } from '../auth/principal';
import { LiveEventsGateway } from '../events/live-events.gateway';
import type { CreateApiKeyBody } from './api-keys.controller';

const apiKeyNotFound = (id: string) => new NotFoundError('API_KEY_NOT_FOUND', 'API key', id);

/**
 * API keys of a workspace. A key exists in clear only in the answer that creates it. It has a role,
 * never above its creator's (and at run time it acts with the lesser of the two, so demoting a person
 * demotes their keys), and may expire.
 */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly apiKeys: ApiKeysRepository,
    private readonly authenticator: Authenticator,
    private readonly live: LiveEventsGateway,
    private readonly audit: AuditTrail,
  ) {}

  list(principal: Principal): Promise<ApiKeyRecord[]> {
    return this.apiKeys.list(principal.workspaceId);
  }

  /** The new key belongs to the calling user; the clear key is returned once and never stored. */
  async create(principal: Principal, body: CreateApiKeyBody): Promise<{ record: ApiKeyRecord; key: string }> {
    const role = body.role ?? principal.role;
    if (!roleAtLeast(principal.role, role)) {
      throw new DomainError(
        'API_KEY_ROLE_TOO_HIGH',
        'forbidden',
        `role: a key cannot have more rights than its creator, and you are ${roleWithArticle(principal.role)}`,
        { field: 'role', role, yourRole: principal.role },
      );
    }
    const expiresAt = body.expiresAt ? new Date(body.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw new ValidationError([{ path: 'expiresAt', message: 'must be in the future' }]);
    }
    const key = generateApiKey();
    const record = await this.apiKeys.create(principal.workspaceId, {
      userId: principal.userId,
      name: body.name,
      prefix: apiKeyPrefix(key),
      keyHash: hashApiKey(key),
      role,
      expiresAt,
    });
    await this.audit.record(principal, {
      action: 'api_key.created',
      targetKind: 'api_key',
      targetId: record.id,
      data: { name: record.name, prefix: record.prefix, role, expiresAt: expiresAt?.toISOString() ?? null },
    });
    return { record, key };
  }

  /** Revokes at once on this replica and closes the key's live connections everywhere. */
  async revoke(principal: Principal, id: string): Promise<void> {
    const key = await this.apiKeys.get(principal.workspaceId, id);
    if (!key) throw apiKeyNotFound(id);
    if (key.role === 'owner' && principal.role !== 'owner') {
      throw new DomainError(
        'OWNER_PROTECTED',
        'forbidden',
        'only an owner can revoke a key with the owner role',
      );
    }
    if (!(await this.apiKeys.revoke(principal.workspaceId, id))) throw apiKeyNotFound(id);
    this.authenticator.forgetApiKey(id);
    this.live.disconnectApiKey(id);
    await this.audit.record(principal, {
      action: 'api_key.revoked',
      targetKind: 'api_key',
      targetId: id,
      data: { name: key.name, prefix: key.prefix, role: key.role },
    });
  }
}
