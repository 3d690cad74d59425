import { Injectable } from '@nestjs/common';
import { mayGrant, mayManageMember, type Role } from '@mendflow/common';
import {
  type MemberChangeCheck,
  type MemberRecord,
  MembershipsRepository,
  SessionsRepository,
  WorkspacesRepository,
} from '@mendflow/db';
import { AuditTrail } from '../audit/audit-trail.service';
import { Authenticator } from '../auth/authenticator.service';
import type { Principal } from '../auth/principal';
import { LiveEventsGateway } from '../events/live-events.gateway';
import { TeamErrors } from './team-errors';

/**
 * Members of the caller's workspace. Who may change whom: admins and owners manage members; only an
 * owner may grant the owner role or change or remove an owner; the last owner can be neither demoted
 * nor removed (checked with the workspace's members locked, so concurrent changes cannot get around it).
 */
@Injectable()
export class MembersService {
  constructor(
    private readonly memberships: MembershipsRepository,
    private readonly sessions: SessionsRepository,
    private readonly workspaces: WorkspacesRepository,
    private readonly authenticator: Authenticator,
    private readonly live: LiveEventsGateway,
    private readonly audit: AuditTrail,
  ) {}

  list(principal: Principal): Promise<MemberRecord[]> {
    return this.memberships.list(principal.workspaceId);
  }

  async changeRole(principal: Principal, userId: string, role: Role): Promise<MemberRecord> {
    if (!mayGrant(principal.role, role)) throw TeamErrors.roleNotGrantable(principal.role, role);
    const changed = await this.memberships.changeRole(
      principal.workspaceId,
      userId,
      role,
      (target, owners) => {
        if (!mayManageMember(principal.role, target.role)) throw TeamErrors.ownerProtected();
        if (target.role === 'owner' && role !== 'owner' && owners <= 1) throw TeamErrors.lastOwner();
      },
    );
    if (!changed) throw TeamErrors.memberNotFound(userId);
    if (changed.before !== role) {
      // Their API keys act with the new role at once on this replica (within seconds on others).
      this.authenticator.forgetMember(principal.workspaceId, userId);
      await this.audit.record(principal, {
        action: 'member.role_changed',
        targetKind: 'user',
        targetId: userId,
        data: { email: changed.member.email, from: changed.before, to: role },
      });
    }
    return changed.member;
  }

  /** Removes a member: their keys of this workspace are revoked, their sessions in it end, their sockets close. */
  async remove(principal: Principal, userId: string): Promise<void> {
    const removed = await this.removeMember(principal.workspaceId, userId, (target, owners) => {
      if (!mayManageMember(principal.role, target.role)) throw TeamErrors.ownerProtected();
      if (target.role === 'owner' && owners <= 1) throw TeamErrors.lastOwner();
    });
    if (!removed) throw TeamErrors.memberNotFound(userId);
    await this.audit.record(principal, {
      action: userId === principal.userId ? 'member.left' : 'member.removed',
      targetKind: 'user',
      targetId: userId,
      data: { email: removed.email, role: removed.role },
    });
  }

  /**
   * The caller leaves one of their workspaces (any role; the last owner stays). When the session is in
   * it, it moves to another of the user's workspaces first; with none left it ends (`signedOut`).
   */
  async leave(principal: Principal, workspaceId: string): Promise<{ signedOut: boolean }> {
    const session = principal.session;
    if (!session) throw TeamErrors.sessionRequired('leaving a workspace');
    const role = await this.memberships.role(workspaceId, principal.userId);
    if (!role) throw TeamErrors.workspaceNotFound(workspaceId);
    if (role === 'owner') {
      const owners = (await this.memberships.list(workspaceId)).filter((m) => m.role === 'owner');
      if (owners.length <= 1) throw TeamErrors.lastOwner();
    }
    let signedOut = false;
    if (principal.workspaceId === workspaceId) {
      const next = (await this.workspaces.listForUser(principal.userId))
        .filter((w) => w.id !== workspaceId)
        .sort((a, b) => (b.lastSelectedAt?.getTime() ?? 0) - (a.lastSelectedAt?.getTime() ?? 0))[0];
      if (next) {
        await this.sessions.switchWorkspace(workspaceId, session.id, principal.userId, next.id);
        await this.memberships.markSelected(next.id, principal.userId);
      } else {
        signedOut = true;
      }
    }
    const removed = await this.removeMember(workspaceId, principal.userId, (target, owners) => {
      if (target.role === 'owner' && owners <= 1) throw TeamErrors.lastOwner();
    });
    if (!removed) throw TeamErrors.workspaceNotFound(workspaceId);
    await this.audit.record(
      principal,
      {
        action: 'member.left',
        targetKind: 'user',
        targetId: principal.userId,
        data: { email: removed.email, role: removed.role },
      },
      workspaceId,
    );
    // The session's sockets were opened in the workspace it had; they reconnect in the one it has now.
    this.live.disconnectSession(session.id);
    return { signedOut };
  }

  private async removeMember(
    workspaceId: string,
    userId: string,
    check: MemberChangeCheck,
  ): Promise<MemberRecord | null> {
    const removed = await this.memberships.remove(workspaceId, userId, check);
    if (!removed) return null;
    this.authenticator.forgetMember(workspaceId, userId);
    for (const keyId of removed.revokedKeyIds) this.authenticator.forgetApiKey(keyId);
    this.live.disconnectMember(workspaceId, userId);
    for (const sessionId of removed.endedSessionIds) this.live.disconnectSession(sessionId);
    return removed.member;
  }
}
