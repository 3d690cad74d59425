import { ROLES } from '@mendflow/common';
import { z } from 'zod';

/** Request bodies of members, invitations and workspaces. */
export const roleField = z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` });

export const emailField = z
  .string()
  .trim()
  .toLowerCase()
  .min(1, 'must not be empty')
  .max(320, 'must be at most 320 characters')
  .pipe(z.email({ error: 'must be an email address' }));

export const workspaceName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters');

/** A new account's password; bounded above so a huge body cannot make hashing expensive. */
export const newPassword = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(1024, 'must be at most 1024 characters');

export const INVITATION_DEFAULT_HOURS = 7 * 24;
export const INVITATION_MAX_HOURS = 30 * 24;

export const createInvitationBody = z.strictObject({
  email: emailField,
  role: roleField,
  expiresInHours: z
    .int('must be a whole number of hours')
    .min(1, 'must be at least 1')
    .max(INVITATION_MAX_HOURS, `must be at most ${INVITATION_MAX_HOURS} (30 days)`)
    .default(INVITATION_DEFAULT_HOURS),
});
export type CreateInvitationBody = z.output<typeof createInvitationBody>;

const token = z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
export const invitationTokenBody = z.strictObject({ token });
export const acceptInvitationBody = z.strictObject({ token, password: newPassword });

export const changeRoleBody = z.strictObject({ role: roleField });
export const workspaceBody = z.strictObject({ name: workspaceName });
