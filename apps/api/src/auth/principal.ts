import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';

/** Who is calling, resolved by authentication: every service call is scoped to `workspaceId`. */
export interface Principal {
  workspaceId: string;
  userId: string;
  via: 'api_key' | 'session';
  keyId?: string;
  /** Set for `via: 'session'`: the dashboard sign-in behind the cookie. */
  session?: { id: string; csrfToken: string; expiresAt: Date };
}

export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => {
    const request = context.switchToHttp().getRequest<{ user?: Principal }>();
    if (!request.user) throw new Error('CurrentPrincipal used on a route without authentication');
    return request.user;
  },
);

export const IS_PUBLIC = 'mendflow:public';
/** Marks a route that needs no credentials (health, docs, webhooks with their own token). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
