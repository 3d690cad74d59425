import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@mendflow/common';
import { type ApiKeyRecord, ApiKeysRepository } from '@mendflow/db';
import { Authenticator } from '../auth/authenticator.service';
import { apiKeyPrefix, generateApiKey, hashApiKey } from '../auth/credentials';
import type { Principal } from '../auth/principal';
import { LiveEventsGateway } from '../events/live-events.gateway';

/** API keys of a workspace. A key exists in clear only in the answer that creates it. */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly apiKeys: ApiKeysRepository,
    private readonly authenticator: Authenticator,
    private readonly live: LiveEventsGateway,
  ) {}

  list(principal: Principal): Promise<ApiKeyRecord[]> {
    return this.apiKeys.list(principal.workspaceId);
  }

  /** The new key belongs to the calling user; the clear key is returned once and never stored. */
  async create(principal: Principal, name: string): Promise<{ record: ApiKeyRecord; key: string }> {
    const key = generateApiKey();
    const record = await this.apiKeys.create(principal.workspaceId, {
      userId: principal.userId,
      name,
      prefix: apiKeyPrefix(key),
      keyHash: hashApiKey(key),
    });
    return { record, key };
  }

  /** Revokes at once on this replica and closes the key's live connections everywhere. */
  async revoke(principal: Principal, id: string): Promise<void> {
    if (!(await this.apiKeys.revoke(principal.workspaceId, id)))
      throw new NotFoundError('API_KEY_NOT_FOUND', 'API key', id);
    this.authenticator.forgetApiKey(id);
    this.live.disconnectApiKey(id);
  }
}
