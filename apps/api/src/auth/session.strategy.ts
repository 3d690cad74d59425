import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { DomainError } from '@mendflow/common';
import type { Request } from 'express';
import { Strategy } from 'passport-strategy';
import { Authenticator } from './authenticator.service';
import { CSRF_HEADER, csrfSatisfied } from './csrf';
import type { Principal } from './principal';
import { readCookie, SESSION_COOKIE } from './session-cookie';

type VerifySession = (
  request: Request,
  token: string,
  done: (error: unknown, principal?: Principal | false) => void,
) => void;

/** A passport strategy for the dashboard's session cookie (passport has none for an opaque token in a cookie). */
class SessionCookieStrategy extends Strategy {
  constructor(private readonly verifySession: VerifySession) {
    super();
  }

  override authenticate(request: Request): void {
    const token = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (!token) return this.fail(401);
    this.verifySession(request, token, (error, principal) => {
      if (error) return this.error(error as Error);
      if (!principal) return this.fail(401);
      this.success(principal);
    });
  }
}

/** The session cookie, plus cross-site request protection for everything that is not a read. */
@Injectable()
export class SessionStrategy extends PassportStrategy(SessionCookieStrategy, 'session') {
  constructor(private readonly authenticator: Authenticator) {
    super();
  }

  async validate(request: Request, token: string): Promise<Principal | false> {
    const principal = await this.authenticator.session(token);
    if (!principal?.session) return false;
    if (!csrfSatisfied(request.method, request.headers[CSRF_HEADER], principal.session.csrfToken)) {
      throw new DomainError(
        'CSRF_TOKEN_INVALID',
        'forbidden',
        `a cookie-authenticated ${request.method} needs the session's CSRF token in the ${CSRF_HEADER} header`,
      );
    }
    return principal;
  }
}
