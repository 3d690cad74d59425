import { Body, Controller, Get, HttpCode, Param, Patch, Post, Put, Req, Res } from '@nestjs/common';
import { retentionSettingsSchema } from '@mendflow/contracts';
import {
  leaveWorkspaceSchema,
  profileSchema,
  retentionSchema,
  workspaceListSchema,
  workspaceSchema,
} from '@mendflow/contracts/api';
import { ApiContract } from '../common/api-contract';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { z } from 'zod';
import { CurrentPrincipal, type Principal, Requires } from '../auth/principal';
import { clearedSessionCookieOptions, SESSION_COOKIE } from '../auth/session-cookie';
import { UuidParam } from '../common/uuid.pipe';
import { ZodPipe } from '../common/zod.pipe';
import { profileView } from '../session/session.service';
import { MembersService } from './members.service';
import { workspaceBody } from './team-bodies';
import { workspaceView } from './team.views';
import { WorkspacesService } from './workspaces.service';

const workspaceId = new UuidParam('WORKSPACE_NOT_FOUND', 'workspace');

@ApiTags('workspaces')
@Controller('api/v1/workspaces')
export class WorkspacesController {
  constructor(
    private readonly workspaces: WorkspacesService,
    private readonly members: MembersService,
  ) {}

  @Get()
  @Requires('account')
  @ApiContract({
    summary:
      "The caller's workspaces with their role in each, the current one marked (an API key sees only its own)",
    response: { status: 200, schema: workspaceListSchema },
  })
  async list(@CurrentPrincipal() principal: Principal) {
    const items = await this.workspaces.list(principal);
    return { items: items.map((w) => workspaceView(w, principal.workspaceId)) };
  }

  @Post()
  @Requires('account')
  @HttpCode(201)
  @ApiContract({
    summary: 'Create a workspace; the signed-in user becomes its owner (session only)',
    body: workspaceBody,
    response: { status: 201, schema: workspaceSchema },
  })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body(new ZodPipe(workspaceBody)) body: z.output<typeof workspaceBody>,
  ) {
    return workspaceView(await this.workspaces.create(principal, body.name), principal.workspaceId);
  }

  @Patch('current')
  @Requires('workspace:manage')
  @ApiContract({
    summary: 'Rename the current workspace (owner)',
    body: workspaceBody,
    response: { status: 200, schema: workspaceSchema },
  })
  async rename(
    @CurrentPrincipal() principal: Principal,
    @Body(new ZodPipe(workspaceBody)) body: z.output<typeof workspaceBody>,
  ) {
    return workspaceView(await this.workspaces.rename(principal, body.name), principal.workspaceId);
  }

  @Get('current/retention')
  @Requires('workspace:read')
  @ApiContract({
    summary:
      "The current workspace's retention settings, the defaults, and how many runs and audit entries a pass would delete now",
    response: { status: 200, schema: retentionSchema },
  })
  async retention(@CurrentPrincipal() principal: Principal) {
    return this.workspaces.getRetention(principal);
  }

  @Put('current/retention')
  @Requires('workspace:manage')
  @ApiContract({
    summary:
      "Set the current workspace's retention (owner): days runs are kept, runs kept per automation regardless, days audit entries are kept",
    body: retentionSettingsSchema,
    response: { status: 200, schema: retentionSchema },
  })
  async setRetention(
    @CurrentPrincipal() principal: Principal,
    @Body(new ZodPipe(retentionSettingsSchema)) body: z.output<typeof retentionSettingsSchema>,
  ) {
    return this.workspaces.setRetention(principal, body);
  }

  @Post(':id/switch')
  @Requires('account')
  @HttpCode(200)
  @ApiContract({
    summary:
      "Make one of the user's workspaces the session's current one (session only; 404 unless a member); answers like GET /me",
    response: { status: 200, schema: profileSchema },
  })
  async switch(@CurrentPrincipal() principal: Principal, @Param('id', workspaceId) id: string) {
    return profileView(await this.workspaces.switch(principal, id), principal.session?.csrfToken);
  }

  @Post(':id/leave')
  @Requires('account')
  @HttpCode(200)
  @ApiContract({
    summary:
      'Leave a workspace (session only; the last owner cannot). A session in it moves to another of your workspaces; with none left it ends',
    response: { status: 200, schema: leaveWorkspaceSchema },
    errors: [409],
  })
  async leave(
    @CurrentPrincipal() principal: Principal,
    @Param('id', workspaceId) id: string,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const { signedOut } = await this.members.leave(principal, id);
    if (signedOut) response.clearCookie(SESSION_COOKIE, clearedSessionCookieOptions(request.secure));
    return { signedOut };
  }
}
