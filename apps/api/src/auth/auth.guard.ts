import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { IS_PUBLIC } from './principal';

/**
 * Every HTTP route requires a principal unless marked @Public(): an API key (`Authorization: Bearer`)
 * or the dashboard's session cookie, tried in that order. A Bearer request is never subject to the CSRF
 * check: a cross-site page cannot attach an Authorization header without a CORS preflight we refuse.
 */
@Injectable()
export class ApiAuthGuard extends AuthGuard(['bearer', 'session']) {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    // Socket.IO connections authenticate once, in the handshake (see events/socket-auth.ts).
    if (context.getType() !== 'http') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    return super.canActivate(context);
  }
}
