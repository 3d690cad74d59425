import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import {
  createdInvitationSchema,
  invitationListSchema,
  invitationPreviewSchema,
  profileSchema,
} from '@mendflow/contracts/api';
import { ApiContract } from '../common/api-contract';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { z } from 'zod';
import { CurrentPrincipal, type Principal, Public, Requires } from '../auth/principal';
import { SESSION_COOKIE, sessionCookieOptions } from '../auth/session-cookie';
import { UuidParam } from '../common/uuid.pipe';
import { ZodPipe } from '../common/zod.pipe';
import { profileView } from '../session/session.service';
import { acceptPath, InvitationsService } from './invitations.service';
import {
  acceptInvitationBody,
  type CreateInvitationBody,
  createInvitationBody,
  invitationTokenBody,
} from './team-bodies';
import { invitationView } from './team.views';

@ApiTags('members')
@Controller('api/v1/invitations')
export class InvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  @Get()
  @Requires('members:manage')
  @ApiContract({
    summary: 'Invitations not yet accepted or revoked (expired ones included), newest first',
    response: { status: 200, schema: invitationListSchema },
  })
  async list(@CurrentPrincipal() principal: Principal) {
    return { items: (await this.invitations.list(principal)).map(invitationView) };
  }

  @Post()
  @Requires('members:manage')
  @HttpCode(201)
  @ApiContract({
    summary:
      'Invite an email with a role (admin+; only an owner invites owners). The token and its dashboard link path are in this answer only; a new invitation to the same email replaces an open one',
    body: createInvitationBody,
    response: { status: 201, schema: createdInvitationSchema },
    errors: [409],
  })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body(new ZodPipe(createInvitationBody)) body: CreateInvitationBody,
  ) {
    const { invitation, token } = await this.invitations.create(principal, body);
    return { ...invitationView(invitation), token, acceptPath: acceptPath(token) };
  }

  @Delete(':id')
  @Requires('members:manage')
  @HttpCode(204)
  @ApiContract({ summary: 'Withdraw an invitation: its link stops working', response: { status: 204 } })
  async revoke(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new UuidParam('INVITATION_NOT_FOUND', 'invitation')) id: string,
  ) {
    await this.invitations.revoke(principal, id);
  }

  @Post('preview')
  @Public()
  @HttpCode(200)
  @ApiContract({
    summary:
      'What an invitation link invites to: workspace, email, role, state, and whether that email already has an account (sign in, then join) or not (accept with a password)',
    body: invitationTokenBody,
    response: { status: 200, schema: invitationPreviewSchema },
    // The token is in the body, so no path parameter tells the document: an unknown one is a 404.
    errors: [404],
  })
  preview(@Body(new ZodPipe(invitationTokenBody)) body: z.output<typeof invitationTokenBody>) {
    return this.invitations.preview(body.token);
  }

  @Post('accept')
  @Public()
  @HttpCode(200)
  @ApiContract({
    summary:
      'Accept an invitation as someone new: sets the password, joins, and signs in (sets the mf_session cookie, returns the CSRF token)',
    body: acceptInvitationBody,
    response: { status: 200, schema: profileSchema },
    errors: [404, 409],
  })
  async accept(
    @Body(new ZodPipe(acceptInvitationBody)) body: z.output<typeof acceptInvitationBody>,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const session = await this.invitations.acceptAsNewUser(body.token, body.password);
    response.cookie(SESSION_COOKIE, session.token, sessionCookieOptions(request.secure));
    return profileView(session.profile, session.csrfToken);
  }

  @Post('join')
  @Requires('account')
  @HttpCode(200)
  @ApiContract({
    summary:
      'Accept an invitation with an existing account: the signed-in user (session) whose email was invited joins, and the session moves to that workspace',
    body: invitationTokenBody,
    response: { status: 200, schema: profileSchema },
    errors: [404, 409],
  })
  async join(
    @CurrentPrincipal() principal: Principal,
    @Body(new ZodPipe(invitationTokenBody)) body: z.output<typeof invitationTokenBody>,
  ) {
    const profile = await this.invitations.acceptAsMember(principal, body.token);
    return profileView(profile, principal.session?.csrfToken);
  }
}
