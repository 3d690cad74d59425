import { Injectable } from '@nestjs/common';
import { mayGrant } from '@mendflow/common';
import {
  type AcceptOutcome,
  type InvitationRecord,
  InvitationsRepository,
  invitationState,
  MembershipsRepository,
  SessionsRepository,
  UsersRepository,
} from '@mendflow/db';
import { AuditTrail } from '../audit/audit-trail.service';
import { generateInvitationToken, hashInvitationToken, hashPassword } from '../auth/credentials';
import type { Principal } from '../auth/principal';
import { LiveEventsGateway } from '../events/live-events.gateway';
import { type OpenedSession, SessionService } from '../session/session.service';
import type { CreateInvitationBody } from './team-bodies';
import { TeamErrors } from './team-errors';

/** Where the dashboard accepts an invitation; the token rides in the fragment, which never reaches a server log. */
export const acceptPath = (token: string) => `/invite#token=${token}`;

/**
 * Invitations: an owner or admin invites an email with a role; the link (shown once, stored hashed,
 * valid for a bounded time, usable once) lets that person join. Someone new sets a password; someone
 * who already has an account signs in first and joins with their session, so an invitation link is
 * never a way to try passwords of an existing account.
 */
@Injectable()
export class InvitationsService {
  constructor(
    private readonly invitations: InvitationsRepository,
    private readonly users: UsersRepository,
    private readonly memberships: MembershipsRepository,
    private readonly sessions: SessionsRepository,
    private readonly sessionService: SessionService,
    private readonly live: LiveEventsGateway,
    private readonly audit: AuditTrail,
  ) {}

  async create(
    principal: Principal,
    body: CreateInvitationBody,
  ): Promise<{ invitation: InvitationRecord; token: string }> {
    if (!mayGrant(principal.role, body.role)) throw TeamErrors.roleNotGrantable(principal.role, body.role);
    const existing = await this.users.findForLogin(body.email);
    if (existing && (await this.memberships.role(principal.workspaceId, existing.id))) {
      throw TeamErrors.alreadyMember(body.email);
    }
    const token = generateInvitationToken();
    const { invitation, replaced } = await this.invitations.create(principal.workspaceId, {
      email: body.email,
      role: body.role,
      tokenHash: hashInvitationToken(token),
      invitedBy: principal.userId,
      expiresAt: new Date(Date.now() + body.expiresInHours * 3600_000),
    });
    await this.audit.record(principal, {
      action: 'member.invited',
      targetKind: 'invitation',
      targetId: invitation.id,
      data: {
        email: invitation.email,
        role: invitation.role,
        expiresAt: invitation.expiresAt.toISOString(),
        ...(replaced > 0 && { replaced }),
      },
    });
    return { invitation, token };
  }

  list(principal: Principal): Promise<InvitationRecord[]> {
    return this.invitations.listOpen(principal.workspaceId);
  }

  async revoke(principal: Principal, id: string): Promise<void> {
    const revoked = await this.invitations.revoke(principal.workspaceId, id);
    if (!revoked) throw TeamErrors.invitationNotFound(id);
    await this.audit.record(principal, {
      action: 'invitation.revoked',
      targetKind: 'invitation',
      targetId: id,
      data: { email: revoked.email, role: revoked.role },
    });
  }

  /** What a link invites to, for the acceptance page: workspace, email, role, state, and whether to sign in or sign up. */
  async preview(token: string) {
    const invitation = await this.findByToken(token);
    return {
      workspace: { name: invitation.workspaceName },
      email: invitation.email,
      role: invitation.role,
      invitedBy: invitation.invitedBy?.email ?? null,
      expiresAt: invitation.expiresAt.toISOString(),
      state: invitationState(invitation),
      accountExists: await this.users.existsByEmail(invitation.email),
    };
  }

  /** Someone new: creates their account with the password, joins, and opens a session in the workspace. */
  async acceptAsNewUser(token: string, password: string): Promise<OpenedSession> {
    const invitation = await this.usable(token);
    if (await this.users.existsByEmail(invitation.email)) throw TeamErrors.accountExists(invitation.email);
    const outcome = this.joined(
      await this.invitations.accept(invitation.id, {
        email: invitation.email,
        passwordHash: await hashPassword(password),
      }),
      invitation.email,
    );
    await this.recordJoined(outcome, invitation);
    return this.sessionService.open({ id: outcome.userId, workspaceId: outcome.workspaceId });
  }

  /** A signed-in user whose email was invited: joins, and their session moves to the workspace. */
  async acceptAsMember(principal: Principal, token: string) {
    const session = principal.session;
    if (!session) throw TeamErrors.sessionRequired('accepting an invitation');
    const invitation = await this.usable(token);
    const me = await this.sessionService.profile(principal.workspaceId, principal.userId);
    if (me.user.email !== invitation.email) throw TeamErrors.wrongInvitee();
    const outcome = this.joined(
      await this.invitations.accept(invitation.id, { userId: principal.userId }),
      invitation.email,
    );
    await this.recordJoined(outcome, invitation);
    await this.sessions.switchWorkspace(
      principal.workspaceId,
      session.id,
      principal.userId,
      outcome.workspaceId,
    );
    this.live.disconnectSession(session.id);
    return this.sessionService.profile(outcome.workspaceId, principal.userId);
  }

  private async findByToken(token: string) {
    const invitation = await this.invitations.findByTokenHash(hashInvitationToken(token));
    if (!invitation) throw TeamErrors.invitationLinkNotFound();
    return invitation;
  }

  private async usable(token: string) {
    const invitation = await this.findByToken(token);
    const state = invitationState(invitation);
    if (state !== 'pending') throw TeamErrors.invitationUnusable(state);
    return invitation;
  }

  private joined(outcome: AcceptOutcome, email: string): Extract<AcceptOutcome, { ok: true }> {
    if (outcome.ok) return outcome;
    switch (outcome.reason) {
      case 'not_found':
        throw TeamErrors.invitationLinkNotFound();
      case 'already_member':
        throw TeamErrors.alreadyMember(email);
      case 'email_taken':
        throw TeamErrors.accountExists(email);
      default:
        throw TeamErrors.invitationUnusable(outcome.reason);
    }
  }

  private recordJoined(outcome: Extract<AcceptOutcome, { ok: true }>, invitation: InvitationRecord) {
    return this.audit.record(
      { workspaceId: outcome.workspaceId, userId: outcome.userId, role: outcome.role, via: 'session' },
      {
        action: 'member.joined',
        targetKind: 'user',
        targetId: outcome.userId,
        data: {
          email: invitation.email,
          role: outcome.role,
          invitationId: invitation.id,
          invitedBy: invitation.invitedBy?.email ?? null,
          newAccount: outcome.newUser,
        },
      },
    );
  }
}
