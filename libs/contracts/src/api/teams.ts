import { z } from 'zod';
import { isoDateTime, listOf } from './common';

export const memberSchema = z
  .object({
    userId: z.uuid(),
    email: z.string(),
    role: z.string(),
    joinedAt: isoDateTime,
    you: z.boolean(),
  })
  .meta({ id: 'Member' });
export const memberListSchema = listOf(memberSchema).meta({ id: 'MemberList' });

const invitationFields = {
  id: z.uuid(),
  email: z.string(),
  role: z.string(),
  state: z.enum(['pending', 'accepted', 'revoked', 'expired']),
  invitedBy: z.object({ id: z.uuid(), email: z.string() }).nullable(),
  createdAt: isoDateTime,
  expiresAt: isoDateTime,
};
export const invitationSchema = z.object(invitationFields).meta({ id: 'Invitation' });
export const invitationListSchema = listOf(invitationSchema).meta({ id: 'InvitationList' });
/** The answer to creating an invitation: its token and dashboard link path, this once. */
export const createdInvitationSchema = z
  .object({ ...invitationFields, token: z.string(), acceptPath: z.string() })
  .meta({ id: 'CreatedInvitation' });
export const invitationPreviewSchema = z
  .object({
    workspace: z.object({ name: z.string() }),
    email: z.string(),
    role: z.string(),
    invitedBy: z.string().nullable(),
    expiresAt: isoDateTime,
    state: invitationFields.state,
    accountExists: z.boolean(),
  })
  .meta({ id: 'InvitationPreview' });

export const workspaceSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    /** The caller's role there (absent right after creating or renaming). */
    role: z.string().optional(),
    current: z.boolean(),
    createdAt: isoDateTime,
  })
  .meta({ id: 'Workspace' });
export const workspaceListSchema = listOf(workspaceSchema).meta({ id: 'WorkspaceList' });
export const leaveWorkspaceSchema = z.object({ signedOut: z.boolean() }).meta({ id: 'LeaveWorkspaceResult' });

const retentionFields = {
  runRetentionDays: z.int(),
  keepRunsPerAutomation: z.int(),
  auditRetentionDays: z.int(),
};
/** The workspace's retention settings, the defaults, and what a pass would delete under them now. */
export const retentionSchema = z
  .object({
    ...retentionFields,
    defaults: z.object(retentionFields),
    limits: z.object({ maxDays: z.int(), maxKeepRuns: z.int() }),
    /** Counted with the pass's own conditions at the moment of the request. */
    due: z.object({ runs: z.int(), auditEntries: z.int() }),
  })
  .meta({ id: 'Retention' });
