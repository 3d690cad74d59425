import { Controller, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { profileSchema } from '@mendflow/contracts/api';
import { ApiContract } from '../common/api-contract';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentPrincipal, type Principal, Public, Requires } from '../auth/principal';
import { clearedSessionCookieOptions, SESSION_COOKIE, sessionCookieOptions } from '../auth/session-cookie';
import { loginBody } from './login-body';
import { LoginGuard } from './login.guard';
import { LoginThrottlerGuard } from './login-throttler.guard';
import { profileView, type SignedInUser, SessionService } from './session.service';

@ApiTags('session')
@Controller('api/v1')
export class SessionController {
  constructor(private readonly sessions: SessionService) {}

  @Post('auth/login')
  @Public()
  @UseGuards(LoginThrottlerGuard, LoginGuard)
  @HttpCode(200)
  @ApiContract({
    summary: 'Sign in: sets the httpOnly mf_session cookie and returns the CSRF token for x-csrf-token',
    body: loginBody,
    response: { status: 200, schema: profileSchema },
    // Public, yet refused: 401 INVALID_CREDENTIALS, 403 NO_WORKSPACE for an account without a workspace.
    errors: [401, 403],
  })
  async login(
    @Req() request: Request & { user: SignedInUser },
    @Res({ passthrough: true }) response: Response,
  ) {
    const session = await this.sessions.open(request.user);
    response.cookie(SESSION_COOKIE, session.token, sessionCookieOptions(request.secure));
    return profileView(session.profile, session.csrfToken);
  }

  @Post('auth/logout')
  @Requires('account')
  @HttpCode(204)
  @ApiContract({ summary: 'Sign out: ends the session and clears its cookie', response: { status: 204 } })
  async logout(
    @CurrentPrincipal() principal: Principal,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<void> {
    await this.sessions.close(principal);
    response.clearCookie(SESSION_COOKIE, clearedSessionCookieOptions(request.secure));
  }

  @Get('me')
  @Requires('account')
  @ApiContract({
    summary:
      'The caller: user (with their role here), current workspace, the permissions that role holds, and the CSRF token when signed in with a session',
    response: { status: 200, schema: profileSchema },
  })
  async me(@CurrentPrincipal() principal: Principal) {
    return profileView(await this.sessions.profileOf(principal), principal.session?.csrfToken);
  }
}
