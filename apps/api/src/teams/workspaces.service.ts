import { Injectable } from '@nestjs/common';
import { RETENTION_DEFAULTS, RETENTION_LIMITS, type RetentionSettings } from '@mendflow/contracts';
import {
  RetentionRepository,
  MembershipsRepository,
  SessionsRepository,
  type UserWorkspace,
  type WorkspaceRecord,
  WorkspacesRepository,
} from '@mendflow/db';
import { AuditTrail } from '../audit/audit-trail.service';
import type { Principal } from '../auth/principal';
import { LiveEventsGateway } from '../events/live-events.gateway';
import { SessionService } from '../session/session.service';
import { TeamErrors } from './team-errors';

/**
 * A user's workspaces. A session carries the current one and may switch among the user's memberships;
 * an API key belongs to the workspace it was created in, so for a key there is only that one.
 */
@Injectable()
export class WorkspacesService {
  constructor(
    private readonly workspaces: WorkspacesRepository,
    private readonly memberships: MembershipsRepository,
    private readonly sessions: SessionsRepository,
    private readonly sessionService: SessionService,
    private readonly live: LiveEventsGateway,
    private readonly audit: AuditTrail,
    private readonly retention: RetentionRepository,
  ) {}

  async list(principal: Principal): Promise<UserWorkspace[]> {
    const all = await this.workspaces.listForUser(principal.userId);
    return principal.via === 'session' ? all : all.filter((w) => w.id === principal.workspaceId);
  }

  /** A new workspace with the caller as its owner. The session stays where it is until it switches. */
  async create(principal: Principal, name: string): Promise<UserWorkspace> {
    if (!principal.session) throw TeamErrors.sessionRequired('creating a workspace');
    const workspace = await this.workspaces.createForUser(principal.userId, name);
    await this.audit.record(
      principal,
      { action: 'workspace.created', targetKind: 'workspace', targetId: workspace.id, data: { name } },
      workspace.id,
    );
    return workspace;
  }

  /** Moves the caller's session to another of their workspaces (404 for one they are not a member of). */
  async switch(principal: Principal, workspaceId: string) {
    const session = principal.session;
    if (!session) throw TeamErrors.sessionRequired('switching workspaces');
    const moved = await this.sessions.switchWorkspace(
      principal.workspaceId,
      session.id,
      principal.userId,
      workspaceId,
    );
    if (!moved) throw TeamErrors.workspaceNotFound(workspaceId);
    await this.memberships.markSelected(workspaceId, principal.userId);
    // Live connections were authorized for the previous workspace: they reconnect in this one.
    if (workspaceId !== principal.workspaceId) this.live.disconnectSession(session.id);
    return this.sessionService.profile(workspaceId, principal.userId);
  }

  async rename(principal: Principal, name: string): Promise<WorkspaceRecord> {
    const before = await this.workspaces.get(principal.workspaceId);
    const renamed = await this.workspaces.rename(principal.workspaceId, name);
    if (!before || !renamed) throw TeamErrors.workspaceNotFound(principal.workspaceId);
    if (before.name !== name) {
      await this.audit.record(principal, {
        action: 'workspace.renamed',
        targetKind: 'workspace',
        targetId: principal.workspaceId,
        data: { from: before.name, to: name },
      });
    }
    return renamed;
  }

  /** The workspace's retention settings with the defaults and what a pass would delete now. */
  async getRetention(principal: Principal) {
    const settings = await this.retention.getSettings(principal.workspaceId);
    if (!settings) throw TeamErrors.workspaceNotFound(principal.workspaceId);
    const due = await this.retention.countDue(principal.workspaceId, settings, new Date());
    return { ...settings, defaults: RETENTION_DEFAULTS, limits: RETENTION_LIMITS, due };
  }

  async setRetention(principal: Principal, settings: RetentionSettings) {
    const changed = await this.retention.updateSettings(principal.workspaceId, settings);
    if (!changed) throw TeamErrors.workspaceNotFound(principal.workspaceId);
    const { before } = changed;
    const differs = (Object.keys(settings) as (keyof RetentionSettings)[]).some(
      (field) => before[field] !== settings[field],
    );
    if (differs) {
      await this.audit.record(principal, {
        action: 'workspace.retention_changed',
        targetKind: 'workspace',
        targetId: principal.workspaceId,
        data: { from: before, to: settings },
      });
    }
    return this.getRetention(principal);
  }
}
