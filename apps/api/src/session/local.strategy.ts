import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import { type SignedInUser, SessionService } from './session.service';

/** passport's local strategy: `{ email, password }` in the body (already validated by LoginGuard). */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(private readonly sessions: SessionService) {
    super({ usernameField: 'email', passwordField: 'password', session: false });
  }

  validate(email: string, password: string): Promise<SignedInUser> {
    return this.sessions.verifyCredentials(email, password);
  }
}
