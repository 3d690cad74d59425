/**
 * Who may do what in a workspace. Every HTTP route and Socket.IO message of the API declares one
 * permission (or is public); a member's role grants a fixed set of them.
 *
 * | role   | may                                                                                   |
 * |--------|---------------------------------------------------------------------------------------|
 * | viewer | read everything of the workspace (automations, runs, logs, inbox, repairs, stats, secret |
 * |        | names, members) and follow it live                                                    |
 * | editor | + write automations (create, deploy, rollback, pause, delete, lint), start, cancel and  |
 * |        | retry runs, resolve inbox items                                                       |
 * | admin  | + set and delete secrets, manage API keys, manage notification channels (create, change, |
 * |        | delete, test), invite, change and remove members (never an owner, never to owner), read  |
 * |        | the audit log, trust and distrust bundle publishers                                   |
 * | owner  | + rename the workspace, grant and remove owner (the last owner stays)                  |
 *
 * `account` is not a workspace permission: any signed-in caller may read who they are, list and create
 * their own workspaces, switch, leave, and sign out, whatever their role.
 */
export const ROLES = ['owner', 'admin', 'editor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'account',
  'workspace:read',
  'automations:write',
  'runs:write',
  'inbox:resolve',
  'secrets:write',
  'api_keys:manage',
  'notifications:manage',
  'members:manage',
  'audit:read',
  /** Which publisher keys' bundles the workspace imports: who may run code here, so admins (not owners only). */
  'publishers:manage',
  'workspace:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2, owner: 3 };

/** The least role that holds each permission. */
export const PERMISSION_MIN_ROLE: Record<Permission, Role> = {
  account: 'viewer',
  'workspace:read': 'viewer',
  'automations:write': 'editor',
  'runs:write': 'editor',
  'inbox:resolve': 'editor',
  'secrets:write': 'admin',
  'api_keys:manage': 'admin',
  'notifications:manage': 'admin',
  'members:manage': 'admin',
  'audit:read': 'admin',
  'publishers:manage': 'admin',
  'workspace:manage': 'owner',
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** True when `role` is `other` or above it. */
export function roleAtLeast(role: Role, other: Role): boolean {
  return RANK[role] >= RANK[other];
}

/** The lower of two roles (an API key acts with the lesser of its own role and its creator's). */
export function lesserRole(a: Role, b: Role): Role {
  return RANK[a] <= RANK[b] ? a : b;
}

export function roleAllows(role: Role, permission: Permission): boolean {
  return roleAtLeast(role, PERMISSION_MIN_ROLE[permission]);
}

/** Every permission a role holds, for `GET /me` (the dashboard hides what the caller may not do). */
export function permissionsOf(role: Role): Permission[] {
  return PERMISSIONS.filter((permission) => roleAllows(role, permission));
}

/**
 * Whether `actor` may give someone `role` (invite with it, or change a member to it): an owner may
 * grant any role; an admin any role up to admin; below admin, none.
 */
export function mayGrant(actor: Role, role: Role): boolean {
  if (actor === 'owner') return true;
  return actor === 'admin' && role !== 'owner';
}

/** Whether `actor` may change or remove a member who holds `target`: owners only by an owner. */
export function mayManageMember(actor: Role, target: Role): boolean {
  if (!roleAtLeast(actor, 'admin')) return false;
  return target !== 'owner' || actor === 'owner';
}

/** "an owner", "an admin", "an editor", "a viewer" — for messages. */
export function roleWithArticle(role: Role): string {
  return `${role === 'viewer' ? 'a' : 'an'} ${role}`;
}
