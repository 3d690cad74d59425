import { DomainError, NotFoundError, type Role, roleWithArticle } from '@mendflow/common';

/** The stable errors of members, invitations and workspaces. */
export const TeamErrors = {
  memberNotFound: (userId: string) => new NotFoundError('MEMBER_NOT_FOUND', 'member', userId),
  workspaceNotFound: (id: string) => new NotFoundError('WORKSPACE_NOT_FOUND', 'workspace', id),
  invitationNotFound: (id: string) => new NotFoundError('INVITATION_NOT_FOUND', 'invitation', id),
  invitationLinkNotFound: () =>
    new DomainError('INVITATION_NOT_FOUND', 'not_found', 'this invitation link is not valid', {
      field: 'token',
    }),
  invitationUnusable: (state: 'accepted' | 'expired' | 'revoked') =>
    new DomainError(
      `INVITATION_${state === 'accepted' ? 'USED' : state.toUpperCase()}`,
      'conflict',
      {
        accepted: 'this invitation was already accepted; sign in instead',
        expired: 'this invitation has expired; ask for a new one',
        revoked: 'this invitation was withdrawn; ask for a new one',
      }[state],
      { field: 'token' },
    ),
  alreadyMember: (email: string) =>
    new DomainError('ALREADY_MEMBER', 'conflict', `${email} is already a member of this workspace`, {
      field: 'email',
    }),
  accountExists: (email: string) =>
    new DomainError(
      'ACCOUNT_EXISTS',
      'conflict',
      `${email} already has an account: sign in with it, then accept the invitation`,
    ),
  wrongInvitee: () =>
    new DomainError(
      'INVITATION_FOR_ANOTHER_EMAIL',
      'forbidden',
      'this invitation is for another email address; sign in as that address to accept it',
    ),
  roleNotGrantable: (actor: Role, role: Role) =>
    new DomainError(
      'ROLE_NOT_GRANTABLE',
      'forbidden',
      `role: ${roleWithArticle(actor)} cannot grant the ${role} role`,
      {
        field: 'role',
        role,
        yourRole: actor,
      },
    ),
  ownerProtected: () =>
    new DomainError('OWNER_PROTECTED', 'forbidden', 'only an owner can change or remove an owner'),
  lastOwner: () =>
    new DomainError(
      'LAST_OWNER',
      'conflict',
      'a workspace keeps at least one owner: make someone else owner first',
    ),
  sessionRequired: (what: string) =>
    new DomainError(
      'SESSION_REQUIRED',
      'forbidden',
      `${what} needs a signed-in user (a dashboard session); an API key belongs to one workspace`,
    ),
};
