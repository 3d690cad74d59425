import 'reflect-metadata';
import { type DynamicModule, type ExecutionContext, RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, Reflector } from '@nestjs/core';
import { MESSAGE_METADATA } from '@nestjs/websockets/constants';
import {
  mayGrant,
  mayManageMember,
  type Permission,
  PERMISSIONS,
  permissionsOf,
  type Role,
  roleAllows,
  ROLES,
} from '@mendflow/common';
import { describe, expect, it } from 'vitest';
import { AppModule } from '../app.module';
import type { ApiConfig } from '../config/api-config';
import type { Authenticator } from './authenticator.service';
import { PermissionGuard } from './permission.guard';
import { IS_PUBLIC, type Principal, REQUIRED_PERMISSION } from './principal';

// Every handler Nest would register (HTTP routes of every controller, Socket.IO messages of every
// gateway), found by walking the application's module graph with Nest's own metadata, must declare a
// permission or be @Public(): PermissionGuard refuses one that declares neither, and this test names it.

const config = {
  DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none',
  REDIS_URL: 'redis://127.0.0.1:1',
  PORT: 4000,
  MENDFLOW_SECRET_KEY: 'ab'.repeat(32),
  DATABASE_POOL_SIZE: 1,
  LOG_LEVEL: 'error',
} as ApiConfig;

interface Handler {
  kind: 'http' | 'ws';
  name: string;
  method?: string;
  path?: string;
  permission?: Permission;
  isPublic: boolean;
}

type ModuleRef = Type | DynamicModule | Promise<DynamicModule>;

/** Controllers and providers of every module reachable from the root, as Nest's scanner finds them. */
function collect(root: DynamicModule): { controllers: Set<Type>; providers: Set<Type> } {
  const controllers = new Set<Type>();
  const providers = new Set<Type>();
  const seen = new Set<unknown>();
  const visit = (ref: ModuleRef) => {
    if (ref instanceof Promise) throw new Error('async modules are not expected here');
    if (seen.has(ref)) return;
    seen.add(ref);
    const dynamic = 'module' in ref ? ref : undefined;
    const type = dynamic ? dynamic.module : (ref as Type);
    const read = <T>(key: string): T[] => [
      ...((Reflect.getMetadata(key, type) as T[] | undefined) ?? []),
      ...(((dynamic as Record<string, unknown> | undefined)?.[key] as T[] | undefined) ?? []),
    ];
    for (const controller of read<Type>(MODULE_METADATA.CONTROLLERS)) controllers.add(controller);
    for (const provider of read<unknown>(MODULE_METADATA.PROVIDERS)) {
      if (typeof provider === 'function') providers.add(provider as Type);
      else if (provider && typeof provider === 'object' && 'useClass' in provider)
        providers.add((provider as { useClass: Type }).useClass);
    }
    for (const imported of read<ModuleRef>(MODULE_METADATA.IMPORTS)) visit(imported);
  };
  visit(root);
  return { controllers, providers };
}

function handlers(): Handler[] {
  const { controllers, providers } = collect(AppModule.forRoot(config));
  const scanner = new MetadataScanner();
  const found: Handler[] = [];
  const describeOf = (type: Type, method: string) => {
    const handler = (type.prototype as Record<string, unknown>)[method] as object;
    const meta = <T>(key: string): T | undefined =>
      (Reflect.getMetadata(key, handler) as T | undefined) ??
      (Reflect.getMetadata(key, type) as T | undefined);
    return {
      handler,
      permission: meta<Permission>(REQUIRED_PERMISSION),
      isPublic: meta<boolean>(IS_PUBLIC) === true,
    };
  };
  for (const controller of controllers) {
    const prefix = (Reflect.getMetadata(PATH_METADATA, controller) as string | undefined) ?? '';
    for (const method of scanner.getAllMethodNames(controller.prototype)) {
      const { handler, permission, isPublic } = describeOf(controller, method);
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      if (path === undefined) continue;
      const verb = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
      found.push({
        kind: 'http',
        name: `${verb} /${[prefix, path].filter((p) => p && p !== '/').join('/')}`.replace(/\/+$/, ''),
        method: verb,
        path,
        permission,
        isPublic,
      });
    }
  }
  for (const provider of providers) {
    for (const method of scanner.getAllMethodNames(provider.prototype)) {
      const { handler, permission, isPublic } = describeOf(provider, method);
      const message = Reflect.getMetadata(MESSAGE_METADATA, handler) as string | undefined;
      if (message === undefined) continue;
      found.push({ kind: 'ws', name: `socket.io ${provider.name}.${message}`, permission, isPublic });
    }
  }
  return found;
}

describe('route permissions', () => {
  const all = handlers();

  it('finds the routes and socket messages of every module', () => {
    const names = all.map((h) => h.name);
    expect(names).toContain('GET /api/v1/runs');
    expect(names).toContain('POST /api/v1/invitations/accept');
    expect(names).toContain('GET /api/v1/audit');
    expect(names).toContain('GET /healthz');
    expect(names).toContain('socket.io LiveEventsGateway.subscribe');
    expect(all.length).toBeGreaterThan(40);
  });

  it('has a declared permission or @Public() on every handler', () => {
    const undeclared = all.filter((h) => !h.permission && !h.isPublic).map((h) => h.name);
    expect(undeclared).toEqual([]);
    const both = all.filter((h) => h.permission && h.isPublic).map((h) => h.name);
    expect(both).toEqual([]);
  });

  it('keeps viewers read-only: every write needs more than a viewer, except the caller’s own account', () => {
    // POST /mcp carries JSON-RPC for read and write tools alike: each tool checks the permission of the
    // REST route it matches (mcp/mcp-tools.ts MCP_TOOLS, tested in mcp-tools.spec.ts and the MCP e2e).
    const checkedPerTool = new Set(['POST /mcp']);
    const viewerWrites = all
      .filter((h) => h.kind === 'http' && h.method !== 'GET' && h.permission && h.permission !== 'account')
      .filter((h) => !checkedPerTool.has(h.name))
      .filter((h) => roleAllows('viewer', h.permission!))
      .map((h) => h.name);
    expect(viewerWrites).toEqual([]);
  });

  it('keeps the public surface to health, metrics, sign-in, invitation links and webhook URLs', () => {
    expect(
      all
        .filter((h) => h.isPublic)
        .map((h) => h.name)
        .sort(),
    ).toEqual([
      'GET /healthz',
      'GET /metrics',
      'GET /readyz',
      'POST /api/v1/auth/login',
      'POST /api/v1/hooks/:automationId/:token',
      'POST /api/v1/invitations/accept',
      'POST /api/v1/invitations/preview',
    ]);
  });
});

describe('roles', () => {
  it('grant more the higher they are', () => {
    expect(permissionsOf('viewer')).toEqual(['account', 'workspace:read']);
    expect(permissionsOf('editor')).toEqual([
      'account',
      'workspace:read',
      'automations:write',
      'runs:write',
      'inbox:resolve',
    ]);
    expect(permissionsOf('admin')).toEqual(PERMISSIONS.filter((p) => p !== 'workspace:manage'));
    expect(permissionsOf('owner')).toEqual([...PERMISSIONS]);
    for (const [lower, higher] of [
      ['viewer', 'editor'],
      ['editor', 'admin'],
      ['admin', 'owner'],
    ] as [Role, Role][]) {
      for (const permission of permissionsOf(lower)) expect(roleAllows(higher, permission)).toBe(true);
    }
  });

  it('let only owners grant owner or touch owners, and admins the rest', () => {
    const grants = (actor: Role) => ROLES.filter((role) => mayGrant(actor, role));
    expect(grants('owner')).toEqual(['owner', 'admin', 'editor', 'viewer']);
    expect(grants('admin')).toEqual(['admin', 'editor', 'viewer']);
    expect(grants('editor')).toEqual([]);
    expect(grants('viewer')).toEqual([]);
    expect(mayManageMember('owner', 'owner')).toBe(true);
    expect(mayManageMember('admin', 'owner')).toBe(false);
    expect(mayManageMember('admin', 'admin')).toBe(true);
    expect(mayManageMember('editor', 'viewer')).toBe(false);
  });
});

describe('PermissionGuard', () => {
  class Routes {
    read() {}
    write() {}
    open() {}
    forgotten() {}
  }
  Reflect.defineMetadata(REQUIRED_PERMISSION, 'workspace:read', Routes.prototype.read);
  Reflect.defineMetadata(REQUIRED_PERMISSION, 'automations:write', Routes.prototype.write);
  Reflect.defineMetadata(IS_PUBLIC, true, Routes.prototype.open);

  const viewer: Principal = { workspaceId: 'w', userId: 'u', role: 'viewer', via: 'api_key' };
  const authenticator = { currentRole: async () => 'viewer' } as unknown as Authenticator;
  const guard = new PermissionGuard(new Reflector(), authenticator);
  const http = (handler: keyof Routes, user?: Principal) =>
    ({
      getType: () => 'http',
      getHandler: () => Routes.prototype[handler],
      getClass: () => Routes,
      switchToHttp: () => ({ getRequest: () => ({ user }) }),
    }) as unknown as ExecutionContext;
  const ws = (handler: keyof Routes, principal: Principal) =>
    ({
      getType: () => 'ws',
      getHandler: () => Routes.prototype[handler],
      getClass: () => Routes,
      switchToWs: () => ({ getClient: () => ({ data: { principal } }) }),
    }) as unknown as ExecutionContext;

  it('lets a role through to what it holds and answers 403 FORBIDDEN naming what is needed otherwise', async () => {
    expect(await guard.canActivate(http('read', viewer))).toBe(true);
    expect(await guard.canActivate(http('open'))).toBe(true);
    await expect(guard.canActivate(http('write', viewer))).rejects.toMatchObject({
      code: 'FORBIDDEN',
      kind: 'forbidden',
      details: { permission: 'automations:write', required: 'editor', role: 'viewer' },
    });
    expect(await guard.canActivate(http('write', { ...viewer, role: 'editor' }))).toBe(true);
  });

  it('refuses a handler that declares no permission, even for an owner', async () => {
    await expect(guard.canActivate(http('forgotten', { ...viewer, role: 'owner' }))).rejects.toMatchObject({
      code: 'PERMISSION_UNDECLARED',
    });
  });

  it('checks a socket message against the role the connection holds now', async () => {
    const stale: Principal = { ...viewer, role: 'owner' };
    await expect(guard.canActivate(ws('write', stale))).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(stale.role).toBe('viewer');
    const removed = new PermissionGuard(new Reflector(), {
      currentRole: async () => null,
    } as unknown as Authenticator);
    await expect(removed.canActivate(ws('read', viewer))).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
