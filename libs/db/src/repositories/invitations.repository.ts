import type { Role } from '@mendflow/common';
import type { Db } from '../database';
import { isUniqueViolation } from '../errors';

export interface InvitationRecord {
  id: string;
  workspaceId: string;
  email: string;
  role: Role;
  invitedBy: { id: string; email: string } | null;
  createdAt: Date;
  expiresAt: Date;
  acceptedAt: Date | null;
  revokedAt: Date | null;
}

export type InvitationState = 'pending' | 'expired' | 'accepted' | 'revoked';

export function invitationState(
  invitation: Pick<InvitationRecord, 'expiresAt' | 'acceptedAt' | 'revokedAt'>,
  now = new Date(),
): InvitationState {
  if (invitation.acceptedAt) return 'accepted';
  if (invitation.revokedAt) return 'revoked';
  return invitation.expiresAt.getTime() <= now.getTime() ? 'expired' : 'pending';
}

/** Who accepts: a user who already has an account (their password was checked), or a new one. */
export type Invitee = { userId: string } | { email: string; passwordHash: string };

export type AcceptOutcome =
  | { ok: true; userId: string; workspaceId: string; role: Role; newUser: boolean }
  | {
      ok: false;
      reason: 'not_found' | 'revoked' | 'accepted' | 'expired' | 'already_member' | 'email_taken';
    };

const INCLUDE = { inviter: { select: { id: true, email: true } } } as const;

/**
 * Invitations to a workspace. The link's token is never stored, only its SHA-256 (like API keys: it is
 * 256 random bits, so a fast hash suffices and allows lookup). Lookup by token hash is the one method not
 * scoped to a workspace: it is how the invitee's link finds its workspace.
 */
export class InvitationsRepository {
  constructor(private readonly db: Db) {}

  /** A new invitation; one still open for the same email in this workspace is revoked (the new link replaces it). */
  async create(
    workspaceId: string,
    input: { email: string; role: Role; tokenHash: string; invitedBy: string; expiresAt: Date },
  ): Promise<{ invitation: InvitationRecord; replaced: number }> {
    return this.db.$transaction(async (tx) => {
      const { count } = await tx.invitation.updateMany({
        where: { workspaceId, email: input.email, acceptedAt: null, revokedAt: null },
        data: { revokedAt: new Date() },
      });
      const row = await tx.invitation.create({ data: { workspaceId, ...input }, include: INCLUDE });
      return { invitation: toRecord(row), replaced: count };
    });
  }

  /** Invitations neither accepted nor revoked, newest first (expired ones too, until replaced or revoked). */
  async listOpen(workspaceId: string): Promise<InvitationRecord[]> {
    const rows = await this.db.invitation.findMany({
      where: { workspaceId, acceptedAt: null, revokedAt: null },
      include: INCLUDE,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
    return rows.map(toRecord);
  }

  /** Revokes an open invitation; null when there is none by that id in this workspace. */
  async revoke(workspaceId: string, id: string): Promise<InvitationRecord | null> {
    const { count } = await this.db.invitation.updateMany({
      where: { workspaceId, id, acceptedAt: null, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (count === 0) return null;
    const row = await this.db.invitation.findUnique({ where: { id }, include: INCLUDE });
    return row ? toRecord(row) : null;
  }

  /** The invitation behind a link, with its workspace's name, whatever its state. */
  async findByTokenHash(tokenHash: string): Promise<(InvitationRecord & { workspaceName: string }) | null> {
    const row = await this.db.invitation.findUnique({
      where: { tokenHash },
      include: { ...INCLUDE, workspace: { select: { name: true } } },
    });
    return row ? { ...toRecord(row), workspaceName: row.workspace.name } : null;
  }

  /**
   * Accepts an invitation at most once: under a row lock it is checked (open, unexpired), the user is
   * created if new, the membership added (selected, so their next sign-in opens it) and the invitation
   * marked accepted, all or nothing.
   */
  async accept(id: string, invitee: Invitee): Promise<AcceptOutcome> {
    try {
      return await this.db.$transaction(async (tx): Promise<AcceptOutcome> => {
        const locked = await tx.$queryRaw<
          {
            workspaceId: string;
            role: string;
            expiresAt: Date;
            acceptedAt: Date | null;
            revokedAt: Date | null;
          }[]
        >`SELECT workspace_id AS "workspaceId", role, expires_at AS "expiresAt", accepted_at AS "acceptedAt",
                 revoked_at AS "revokedAt"
          FROM invitations WHERE id = ${id}::uuid FOR UPDATE`;
        const invitation = locked[0];
        if (!invitation) return { ok: false, reason: 'not_found' };
        const state = invitationState(invitation);
        if (state !== 'pending') return { ok: false, reason: state };
        const { workspaceId } = invitation;
        const role = invitation.role as Role;
        let userId: string;
        let newUser = false;
        if ('userId' in invitee) {
          userId = invitee.userId;
          const member = await tx.membership.findUnique({
            where: { workspaceId_userId: { workspaceId, userId } },
          });
          if (member) return { ok: false, reason: 'already_member' };
        } else {
          const user = await tx.user.create({
            data: { email: invitee.email, passwordHash: invitee.passwordHash },
          });
          userId = user.id;
          newUser = true;
        }
        await tx.membership.create({ data: { workspaceId, userId, role, lastSelectedAt: new Date() } });
        await tx.invitation.update({ where: { id }, data: { acceptedAt: new Date(), acceptedBy: userId } });
        return { ok: true, userId, workspaceId, role, newUser };
      });
    } catch (error) {
      // Someone signed up with this email between the caller's check and this transaction.
      if (isUniqueViolation(error)) return { ok: false, reason: 'email_taken' };
      throw error;
    }
  }
}

function toRecord(row: {
  id: string;
  workspaceId: string;
  email: string;
  role: string;
  createdAt: Date;
  expiresAt: Date;
  acceptedAt: Date | null;
  revokedAt: Date | null;
  inviter: { id: string; email: string } | null;
}): InvitationRecord {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    email: row.email,
    role: row.role as Role,
    invitedBy: row.inviter,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    acceptedAt: row.acceptedAt,
    revokedAt: row.revokedAt,
  };
}
