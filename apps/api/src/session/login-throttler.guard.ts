import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { clientAddressKey } from '../common/client-address';
import { LoginRateLimited, LoginThrottle } from './login-throttle';

/**
 * Slows password guessing: every sign-in attempt is counted per client address and per account (see
 * LoginThrottle), in Redis, shared by all API replicas. The client address is Express's `request.ip`,
 * which believes X-Forwarded-For only from the proxies TRUST_PROXY names. The attempt is given back
 * unless it was answered 401 (a wrong email or password).
 */
@Injectable()
export class LoginThrottlerGuard implements CanActivate {
  constructor(private readonly throttle: LoginThrottle) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const body = request.body as { email?: unknown } | undefined;
    const email = typeof body?.email === 'string' ? body.email : undefined;
    let attempt;
    try {
      attempt = await this.throttle.begin(clientAddressKey(request.ip), email);
    } catch (error) {
      if (error instanceof LoginRateLimited)
        response.setHeader('Retry-After', String(error.retryAfterSeconds));
      throw error;
    }
    response.once('finish', () => {
      if (response.statusCode !== 401) void attempt.refund();
    });
    return true;
  }
}
