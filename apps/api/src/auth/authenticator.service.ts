import { Injectable, Logger } from '@nestjs/common';
import { lesserRole, type Role } from '@mendflow/common';
import { ApiKeysRepository, loggableError, MembershipsRepository, SessionsRepository } from '@mendflow/db';
import { hashApiKey, hashSessionToken } from './credentials';
import type { Principal } from './principal';

const KEY_CACHE_TTL_MS = 10_000;
const KEY_CACHE_MAX = 10_000;

/**
 * Turns a credential into a Principal: an API key (HTTP Bearer, Socket.IO handshake) or a session token
 * (the dashboard's cookie), with the caller's role in the workspace it acts in. The HTTP guard's passport
 * strategies and the live-events gateway both use it, so every door checks credentials the same way.
 */
@Injectable()
export class Authenticator {
  private readonly logger = new Logger('Authenticator');
  private readonly keyCache = new Map<string, { principal: Principal | null; expires: number }>();

  constructor(
    private readonly apiKeys: ApiKeysRepository,
    private readonly sessions: SessionsRepository,
    private readonly memberships: MembershipsRepository,
  ) {}

  /**
   * Principals are cached for a few seconds so a busy client does not cost a database read per request;
   * a key revoked (or its creator demoted or removed) through another replica therefore changes there
   * within KEY_CACHE_TTL_MS (through this one, at once: see forgetApiKey and forgetMember). An expired
   * key is refused at its expiry, cached or not. Each refresh also records the key's last use.
   */
  async apiKey(token: string): Promise<Principal | null> {
    const keyHash = hashApiKey(token);
    const cached = this.keyCache.get(keyHash);
    if (cached && cached.expires > Date.now()) return live(cached.principal);
    const found = await this.apiKeys.findPrincipalByHash(keyHash);
    const principal: Principal | null = found
      ? {
          workspaceId: found.workspaceId,
          userId: found.userId,
          role: lesserRole(found.keyRole, found.memberRole),
          keyId: found.keyId,
          key: { role: found.keyRole, expiresAt: found.expiresAt },
          via: 'api_key',
        }
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

  /** Drops a member's keys from this replica's cache after their role changed or they were removed. */
  forgetMember(workspaceId: string, userId: string): void {
    for (const [hash, entry] of this.keyCache) {
      if (entry.principal?.workspaceId === workspaceId && entry.principal.userId === userId) {
        this.keyCache.delete(hash);
      }
    }
  }

  /** Sessions are not cached: signing out must end a session everywhere at once, and it is one indexed read. */
  async session(token: string): Promise<Principal | null> {
    const session = await this.sessions.findActiveByTokenHash(hashSessionToken(token));
    if (!session) return null;
    return {
      workspaceId: session.workspaceId,
      userId: session.userId,
      role: session.user.role,
      via: 'session',
      session: { id: session.id, csrfToken: session.csrfToken, expiresAt: session.expiresAt },
    };
  }

  /**
   * The role a long-lived principal (a Socket.IO connection) holds now: its membership may have changed
   * or ended since it authenticated. Null when it is no longer a member, or its key has expired.
   */
  async currentRole(principal: Principal): Promise<Role | null> {
    if (principal.key?.expiresAt && principal.key.expiresAt.getTime() <= Date.now()) return null;
    const memberRole = await this.memberships.role(principal.workspaceId, principal.userId);
    if (!memberRole) return null;
    return principal.key ? lesserRole(principal.key.role, memberRole) : memberRole;
  }
}

/** A cached key principal, unless the key expired since it was cached. */
function live(principal: Principal | null): Principal | null {
  const expiresAt = principal?.key?.expiresAt;
  return expiresAt && expiresAt.getTime() <= Date.now() ? null : principal;
}
