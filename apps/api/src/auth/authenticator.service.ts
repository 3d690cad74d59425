import { Injectable, Logger } from '@nestjs/common';
import { ApiKeysRepository, loggableError, SessionsRepository } from '@mendflow/db';
import { hashApiKey, hashSessionToken } from './credentials';
import type { Principal } from './principal';

const KEY_CACHE_TTL_MS = 10_000;
const KEY_CACHE_MAX = 10_000;

/**
 * Turns a credential into a Principal: an API key (HTTP Bearer, Socket.IO handshake) or a session token
 * (the dashboard's cookie). The HTTP guard's passport strategies and the live-events gateway both use it,
 * so every door checks credentials the same way.
 */
@Injectable()
export class Authenticator {
  private readonly logger = new Logger('Authenticator');
  private readonly keyCache = new Map<string, { principal: Principal | null; expires: number }>();

  constructor(
    private readonly apiKeys: ApiKeysRepository,
    private readonly sessions: SessionsRepository,
  ) {}

  /**
   * Principals are cached for a few seconds so a busy client does not cost a database read per request;
   * a key revoked through another replica therefore stops working there within KEY_CACHE_TTL_MS (through
   * this one, at once: see forgetApiKey). Each refresh also records the key's last use.
   */
  async apiKey(token: string): Promise<Principal | null> {
    const keyHash = hashApiKey(token);
    const cached = this.keyCache.get(keyHash);
    if (cached && cached.expires > Date.now()) return cached.principal;
    const found = await this.apiKeys.findPrincipalByHash(keyHash);
    const principal: Principal | null = found
      ? { workspaceId: found.workspaceId, userId: found.userId, keyId: found.keyId, via: 'api_key' }
      : null;
    if (this.keyCache.size >= KEY_CACHE_MAX) this.keyCache.clear();
    this.keyCache.set(keyHash, { principal, expires: Date.now() + KEY_CACHE_TTL_MS });
    if (found) {
      this.apiKeys.markUsed(found.workspaceId, found.keyId).catch((error: unknown) => {
        this.logger.warn(
          `could not record the use of API key ${found.keyId}: ${loggableError(error).split('\n')[0]}`,
        );
      });
    }
    return principal;
  }

  /** Drops a revoked key from this replica's cache so it stops working here immediately. */
  forgetApiKey(keyId: string): void {
    for (const [hash, entry] of this.keyCache) {
      if (entry.principal?.keyId === keyId) this.keyCache.delete(hash);
    }
  }

  /** Sessions are not cached: signing out must end a session everywhere at once, and it is one indexed read. */
  async session(token: string): Promise<Principal | null> {
    const session = await this.sessions.findActiveByTokenHash(hashSessionToken(token));
    if (!session) return null;
    return {
      workspaceId: session.workspaceId,
      userId: session.userId,
      via: 'session',
      session: { id: session.id, csrfToken: session.csrfToken, expiresAt: session.expiresAt },
    };
  }
}
