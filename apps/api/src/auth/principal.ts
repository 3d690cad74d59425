import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { type Permission, PERMISSION_MIN_ROLE, type Role } from '@mendflow/common';

/** Who is calling, resolved by authentication: every service call is scoped to `workspaceId`. */
export interface Principal {
  /** The current workspace: an API key's own, or the one a session switched to. */
  workspaceId: string;
  userId: string;
  /**
   * What the caller may do there: the user's membership role, and for an API key the lesser of that and
   * the key's own role (so demoting a user demotes their keys).
   */
  role: Role;
  via: 'api_key' | 'session';
  keyId?: string;
  /** Set for `via: 'api_key'`: the key's own role and expiry. */
  key?: { role: Role; expiresAt: Date | null };
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

export const REQUIRED_PERMISSION = 'mendflow:permission';
/**
 * The permission a route (or Socket.IO message) needs, checked by PermissionGuard after authentication
 * against the caller's role. Every handler declares one or is @Public(): a handler with neither is
 * refused (and a unit test enumerating the routes fails). The OpenAPI document shows it as
 * `x-mendflow-permission` with the least role that holds it.
 */
export const Requires = (permission: Permission) =>
  applyDecorators(
    SetMetadata(REQUIRED_PERMISSION, permission),
    ApiExtension('x-mendflow-permission', { permission, minRole: PERMISSION_MIN_ROLE[permission] }),
  );
