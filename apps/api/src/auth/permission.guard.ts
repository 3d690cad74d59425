import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  DomainError,
  ErrorCodes,
  type Permission,
  PERMISSION_MIN_ROLE,
  type Role,
  roleAllows,
  roleWithArticle,
} from '@mendflow/common';
import { Authenticator } from './authenticator.service';
import { IS_PUBLIC, type Principal, REQUIRED_PERMISSION } from './principal';

/** The stable answer to a caller whose role does not hold a route's permission (HTTP 403). */
export function forbidden(role: Role, permission: Permission): DomainError {
  const required = PERMISSION_MIN_ROLE[permission];
  return new DomainError(
    'FORBIDDEN',
    'forbidden',
    `this needs the ${required} role or above (${permission}); you are ${roleWithArticle(role)} here`,
    { permission, required, role },
  );
}

/**
 * The second global guard, after ApiAuthGuard has authenticated the caller: the handler's declared
 * permission (see @Requires) must be held by the caller's role. A handler that declares neither a
 * permission nor @Public() is refused, so a forgotten declaration fails closed.
 *
 * Socket.IO messages are checked too, with the role the connection holds *now*: it authenticated once
 * in the handshake, and the membership may have changed or ended since.
 */
@Injectable()
export class PermissionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: Authenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(REQUIRED_PERMISSION, targets);
    if (!permission) {
      throw new DomainError('PERMISSION_UNDECLARED', 'forbidden', 'this operation declares no permission');
    }
    const principal = this.principalOf(context);
    if (!principal) {
      throw new DomainError(
        ErrorCodes.UNAUTHENTICATED,
        'unauthenticated',
        'a valid API key or session is required',
      );
    }
    if (context.getType() === 'ws' && permission !== 'account') {
      const role = await this.authenticator.currentRole(principal);
      if (!role) {
        throw new DomainError(
          'FORBIDDEN',
          'forbidden',
          'this connection is no longer a member of its workspace',
        );
      }
      principal.role = role;
    }
    if (!roleAllows(principal.role, permission)) throw forbidden(principal.role, permission);
    return true;
  }

  private principalOf(context: ExecutionContext): Principal | undefined {
    if (context.getType() === 'ws') {
      return context.switchToWs().getClient<{ data?: { principal?: Principal } }>().data?.principal;
    }
    return context.switchToHttp().getRequest<{ user?: Principal }>().user;
  }
}
