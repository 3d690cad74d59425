import { Injectable } from '@nestjs/common';
import { AuditRepository } from '@mendflow/db';
import type { Principal } from '../auth/principal';

/** What a person did, as one audit entry: the actor comes from the principal. */
export interface AuditedAction {
  action: string;
  targetKind: string;
  targetId: string;
  data?: Record<string, unknown>;
}

/**
 * Writes the audit entries of what callers do through the API. The actor is the calling user; a call
 * made with an API key also names the key (`data.apiKeyId`). Entries name things (a secret by its name),
 * never a secret value.
 */
@Injectable()
export class AuditTrail {
  constructor(private readonly audit: AuditRepository) {}

  /** In the caller's current workspace unless told otherwise (leaving or joining another one). */
  record(principal: Principal, entry: AuditedAction, workspaceId = principal.workspaceId): Promise<void> {
    return this.audit.record(workspaceId, {
      actorKind: 'user',
      actorId: principal.userId,
      action: entry.action,
      targetKind: entry.targetKind,
      targetId: entry.targetId,
      data: { ...entry.data, ...(principal.keyId && { apiKeyId: principal.keyId }) },
    });
  }
}
