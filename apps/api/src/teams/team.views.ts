import type { InvitationRecord, MemberRecord, UserWorkspace, WorkspaceRecord } from '@mendflow/db';
import { invitationState } from '@mendflow/db';

export function memberView(member: MemberRecord, callerId: string) {
  return {
    userId: member.userId,
    email: member.email,
    role: member.role,
    joinedAt: member.joinedAt.toISOString(),
    you: member.userId === callerId,
  };
}

export function invitationView(invitation: InvitationRecord) {
  return {
    id: invitation.id,
    email: invitation.email,
    role: invitation.role,
    state: invitationState(invitation),
    invitedBy: invitation.invitedBy,
    createdAt: invitation.createdAt.toISOString(),
    expiresAt: invitation.expiresAt.toISOString(),
  };
}

export function workspaceView(workspace: WorkspaceRecord | UserWorkspace, currentId: string) {
  return {
    id: workspace.id,
    name: workspace.name,
    ...('role' in workspace && { role: workspace.role }),
    current: workspace.id === currentId,
    createdAt: workspace.createdAt.toISOString(),
  };
}
