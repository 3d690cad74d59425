import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ApiKeysRepository } from '@mendflow/db';
import { Strategy } from 'passport-http-bearer';
import { hashApiKey } from './credentials';
import type { Principal } from './principal';

const CACHE_TTL_MS = 10_000;
const CACHE_MAX = 10_000;

/**
 * `Authorization: Bearer <api key>`. Principals are cached for a few seconds so a busy client does not
 * cost a database read per request; a revoked key therefore stops working within CACHE_TTL_MS.
 */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(Strategy, 'bearer') {
  private readonly cache = new Map<string, { principal: Principal | null; expires: number }>();

  constructor(private readonly apiKeys: ApiKeysRepository) {
    super();
  }

  async validate(token: string): Promise<Principal | false> {
    const keyHash = hashApiKey(token);
    const cached = this.cache.get(keyHash);
    if (cached && cached.expires > Date.now()) return cached.principal ?? false;
    const found = await this.apiKeys.findPrincipalByHash(keyHash);
    const principal: Principal | null = found
      ? { workspaceId: found.workspaceId, userId: found.userId, keyId: found.keyId, via: 'api_key' }
      : null;
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(keyHash, { principal, expires: Date.now() + CACHE_TTL_MS });
    return principal ?? false;
  }
}
