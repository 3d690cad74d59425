import { type ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { parseOrThrow } from '@mendflow/common';
import { loginBody } from './login-body';

/**
 * Runs the local strategy on a validated body. Guards run before pipes, so the body is checked here: a
 * malformed sign-in is a 400 naming the field, not a vague 401.
 */
@Injectable()
export class LoginGuard extends AuthGuard('local') {
  override canActivate(context: ExecutionContext) {
    const request = context.switchToHttp().getRequest<{ body: unknown }>();
    request.body = parseOrThrow(loginBody, request.body ?? {});
    return super.canActivate(context);
  }
}
