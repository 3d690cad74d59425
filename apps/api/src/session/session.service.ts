import { Injectable } from '@nestjs/common';
import { DomainError, permissionsOf, type Role } from '@mendflow/common';
import { MembershipsRepository, SessionsRepository, type UserProfile, UsersRepository } from '@mendflow/db';
import {
  generateCsrfToken,
  generateSessionToken,
  hashPassword,
  hashSessionToken,
  verifyPassword,
} from '../auth/credentials';
import type { Principal } from '../auth/principal';
import { SESSION_TTL_MS } from '../auth/session-cookie';
import { LiveEventsGateway } from '../events/live-events.gateway';

/** A user whose password was just verified, and the workspace their session opens in. */
export interface SignedInUser {
  id: string;
  email: string;
  workspaceId: string;
  role: Role;
}

export interface OpenedSession {
  token: string;
  csrfToken: string;
  expiresAt: Date;
  profile: UserProfile;
}

export const invalidCredentials = () =>
  new DomainError('INVALID_CREDENTIALS', 'unauthenticated', 'the email or password is wrong');

/** The caller as `GET /me` and sign-in answer it: who, where, with which role, and what that allows. */
export function profileView(profile: UserProfile, csrfToken?: string) {
  return {
    user: profile.user,
    workspace: profile.workspace,
    permissions: permissionsOf(profile.user.role),
    ...(csrfToken !== undefined && { csrfToken }),
  };
}

/** Dashboard sign-in and sign-out. */
@Injectable()
export class SessionService {
  // Hashed once, lazily: an unknown email is checked against it so it costs as much as a wrong password.
  private decoyHash?: Promise<string>;

  constructor(
    private readonly users: UsersRepository,
    private readonly memberships: MembershipsRepository,
    private readonly sessions: SessionsRepository,
    private readonly live: LiveEventsGateway,
  ) {}

  /**
   * The user behind an email and password, or INVALID_CREDENTIALS. The answer and (roughly) the time
   * are the same whether the email is unknown or the password wrong, so sign-in does not reveal who
   * has an account. The session opens in the workspace the user selected most recently.
   */
  async verifyCredentials(email: string, password: string): Promise<SignedInUser> {
    const user = await this.users.findForLogin(email);
    this.decoyHash ??= hashPassword(generateSessionToken());
    const matches = await verifyPassword(password, user?.passwordHash ?? (await this.decoyHash));
    if (!user || !matches) throw invalidCredentials();
    const membership = await this.memberships.latestForUser(user.id);
    if (!membership) {
      throw new DomainError(
        'NO_WORKSPACE',
        'forbidden',
        'this account is not a member of any workspace any more; ask a workspace admin for an invitation',
      );
    }
    return { id: user.id, email: user.email, workspaceId: membership.workspaceId, role: membership.role };
  }

  /** A new session: the cookie's token (returned once, stored hashed) and its CSRF token. */
  async open(user: { id: string; workspaceId: string }): Promise<OpenedSession> {
    const token = generateSessionToken();
    const csrfToken = generateCsrfToken();
    const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
    await this.sessions.deleteExpiredForUser(user.id);
    await this.sessions.create(user.workspaceId, {
      userId: user.id,
      tokenHash: hashSessionToken(token),
      csrfToken,
      expiresAt,
    });
    const profile = await this.profile(user.workspaceId, user.id);
    return { token, csrfToken, expiresAt, profile };
  }

  /** Ends the caller's session (a no-op for API-key callers) and closes its live connections. */
  async close(principal: Principal): Promise<void> {
    if (!principal.session) return;
    await this.sessions.delete(principal.workspaceId, principal.session.id);
    this.live.disconnectSession(principal.session.id);
  }

  /**
   * The caller's profile in their current workspace. For an API key the role is the key's effective
   * one (never above its creator's), so `/me` tells a script what it may do.
   */
  async profileOf(principal: Principal): Promise<UserProfile> {
    const profile = await this.profile(principal.workspaceId, principal.userId);
    return { ...profile, user: { ...profile.user, role: principal.role } };
  }

  async profile(workspaceId: string, userId: string): Promise<UserProfile> {
    const profile = await this.users.getProfile(workspaceId, userId);
    // The credential was valid a moment ago, so its user (or membership) was deleted in between: treat it as signed out.
    if (!profile)
      throw new DomainError('UNAUTHENTICATED', 'unauthenticated', 'a valid API key or session is required');
    return profile;
  }
}
