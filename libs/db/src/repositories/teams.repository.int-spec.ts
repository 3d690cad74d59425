import { DomainError } from '@mendflow/common';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../database';
import { createTestDatabase, type TestDatabase } from '../testing/test-database';
import { ApiKeysRepository } from './api-keys.repository';
import { AuditRepository } from './audit.repository';
import { InvitationsRepository, invitationState } from './invitations.repository';
import { type MemberChangeCheck, MembershipsRepository } from './memberships.repository';
import { SessionsRepository } from './sessions.repository';
import { UsersRepository } from './users.repository';
import { type OwnerRecord, WorkspacesRepository } from './workspaces.repository';

// Teams against the real PostgreSQL: memberships and their roles, invitations, several workspaces per
// user, API keys capped by their creator's membership, sessions that switch workspace, the audit list,
// and the migration that turned single-workspace users into memberships.

let database: TestDatabase;
let db: Db;
let workspaces: WorkspacesRepository;
let memberships: MembershipsRepository;
let invitations: InvitationsRepository;
let users: UsersRepository;
let sessions: SessionsRepository;
let apiKeys: ApiKeysRepository;
let audit: AuditRepository;
let acme: OwnerRecord;

const inHours = (hours: number) => new Date(Date.now() + hours * 3600_000);
const allow: MemberChangeCheck = () => undefined;
const keepLastOwner: MemberChangeCheck = (target, owners) => {
  if (target.role === 'owner' && owners <= 1) throw new DomainError('LAST_OWNER', 'conflict', 'last owner');
};

async function invite(
  workspaceId: string,
  email: string,
  role: 'admin' | 'editor' | 'viewer',
  tokenHash: string,
) {
  const { invitation } = await invitations.create(workspaceId, {
    email,
    role,
    tokenHash,
    invitedBy: acme.userId,
    expiresAt: inHours(24),
  });
  return invitation;
}

beforeAll(async () => {
  database = await createTestDatabase('teams');
  db = createDb(database.url, { poolSize: 4 });
  workspaces = new WorkspacesRepository(db);
  memberships = new MembershipsRepository(db);
  invitations = new InvitationsRepository(db);
  users = new UsersRepository(db);
  sessions = new SessionsRepository(db);
  apiKeys = new ApiKeysRepository(db);
  audit = new AuditRepository(db);
  acme = await workspaces.createWorkspaceWithOwner({
    workspaceName: 'Acme',
    email: 'owner@acme.test',
    passwordHash: 'x',
  });
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

describe('invitations', () => {
  it('lets a new person join with the invited role, once', async () => {
    const invitation = await invite(acme.workspaceId, 'new@acme.test', 'editor', 'hash-new');
    expect(invitation).toMatchObject({
      email: 'new@acme.test',
      role: 'editor',
      invitedBy: { id: acme.userId, email: 'owner@acme.test' },
      acceptedAt: null,
    });
    const found = await invitations.findByTokenHash('hash-new');
    expect(found).toMatchObject({ id: invitation.id, workspaceName: 'Acme' });
    expect(invitationState(found!)).toBe('pending');

    const accepted = await invitations.accept(invitation.id, { email: 'new@acme.test', passwordHash: 'pw' });
    expect(accepted).toEqual({
      ok: true,
      userId: expect.any(String),
      workspaceId: acme.workspaceId,
      role: 'editor',
      newUser: true,
    });
    if (!accepted.ok) throw new Error('not accepted');
    expect(await memberships.role(acme.workspaceId, accepted.userId)).toBe('editor');
    expect(await users.findForLogin('new@acme.test')).toMatchObject({
      id: accepted.userId,
      passwordHash: 'pw',
    });
    // Used links stay used.
    expect(await invitations.accept(invitation.id, { userId: accepted.userId })).toEqual({
      ok: false,
      reason: 'accepted',
    });
    expect(invitationState((await invitations.findByTokenHash('hash-new'))!)).toBe('accepted');
    expect((await invitations.listOpen(acme.workspaceId)).map((i) => i.id)).not.toContain(invitation.id);
  });

  it('lets an existing user join another workspace, and refuses one who is already a member', async () => {
    const beta = await workspaces.createWorkspaceWithOwner({
      workspaceName: 'Beta',
      email: 'owner@beta.test',
      passwordHash: 'y',
    });
    const toBeta = await invitations.create(beta.workspaceId, {
      email: 'owner@acme.test',
      role: 'viewer',
      tokenHash: 'hash-beta',
      invitedBy: beta.userId,
      expiresAt: inHours(1),
    });
    expect(await invitations.accept(toBeta.invitation.id, { userId: acme.userId })).toMatchObject({
      ok: true,
      workspaceId: beta.workspaceId,
      role: 'viewer',
      newUser: false,
    });
    expect((await workspaces.listForUser(acme.userId)).map((w) => [w.name, w.role])).toEqual([
      ['Acme', 'owner'],
      ['Beta', 'viewer'],
    ]);
    // Joining selects the workspace: the next sign-in opens it.
    expect(await memberships.latestForUser(acme.userId)).toEqual({
      workspaceId: beta.workspaceId,
      role: 'viewer',
    });
    expect(await memberships.markSelected(acme.workspaceId, acme.userId)).toBe(true);
    expect(await memberships.latestForUser(acme.userId)).toEqual({
      workspaceId: acme.workspaceId,
      role: 'owner',
    });

    const again = await invitations.create(beta.workspaceId, {
      email: 'owner@acme.test',
      role: 'admin',
      tokenHash: 'hash-beta-2',
      invitedBy: beta.userId,
      expiresAt: inHours(1),
    });
    expect(await invitations.accept(again.invitation.id, { userId: acme.userId })).toEqual({
      ok: false,
      reason: 'already_member',
    });
    expect(await memberships.role(beta.workspaceId, acme.userId)).toBe('viewer');
  });

  it('refuses an expired or revoked invitation, and replaces an open one for the same email', async () => {
    const { invitation: expired } = await invitations.create(acme.workspaceId, {
      email: 'late@acme.test',
      role: 'viewer',
      tokenHash: 'hash-late',
      invitedBy: acme.userId,
      expiresAt: inHours(-1),
    });
    expect(invitationState(expired)).toBe('expired');
    expect(await invitations.accept(expired.id, { email: 'late@acme.test', passwordHash: 'p' })).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(await users.existsByEmail('late@acme.test')).toBe(false);

    const first = await invite(acme.workspaceId, 'twice@acme.test', 'viewer', 'hash-twice-1');
    const second = await invitations.create(acme.workspaceId, {
      email: 'twice@acme.test',
      role: 'admin',
      tokenHash: 'hash-twice-2',
      invitedBy: acme.userId,
      expiresAt: inHours(1),
    });
    expect(second.replaced).toBe(1);
    expect(await invitations.accept(first.id, { email: 'twice@acme.test', passwordHash: 'p' })).toEqual({
      ok: false,
      reason: 'revoked',
    });
    const open = await invitations.listOpen(acme.workspaceId);
    expect(open.map((i) => i.email)).toContain('twice@acme.test');
    expect(open.filter((i) => i.email === 'twice@acme.test')).toHaveLength(1);

    const revoked = await invitations.revoke(acme.workspaceId, second.invitation.id);
    expect(revoked?.revokedAt).toBeInstanceOf(Date);
    expect(await invitations.revoke(acme.workspaceId, second.invitation.id)).toBeNull();
    const other = await workspaces.createWorkspaceWithOwner({
      workspaceName: 'Other',
      email: 'owner@other.test',
      passwordHash: 'z',
    });
    const foreign = await invite(acme.workspaceId, 'foreign@acme.test', 'viewer', 'hash-foreign');
    expect(await invitations.revoke(other.workspaceId, foreign.id)).toBeNull();
  });

  it('accepts a link exactly once when two acceptances race', async () => {
    const invitation = await invite(acme.workspaceId, 'racer@acme.test', 'viewer', 'hash-race');
    const outcomes = await Promise.all([
      invitations.accept(invitation.id, { email: 'racer@acme.test', passwordHash: 'a' }),
      invitations.accept(invitation.id, { email: 'racer@acme.test', passwordHash: 'b' }),
    ]);
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    expect(outcomes.find((o) => !o.ok)).toMatchObject({ ok: false });
  });
});

describe('memberships', () => {
  it('lists members with their role, owners first', async () => {
    const members = await memberships.list(acme.workspaceId);
    expect(members[0]).toMatchObject({ userId: acme.userId, email: 'owner@acme.test', role: 'owner' });
    expect(members.map((m) => m.role)).toEqual(
      [...members.map((m) => m.role)].sort(
        (a, b) =>
          ['owner', 'admin', 'editor', 'viewer'].indexOf(a) -
          ['owner', 'admin', 'editor', 'viewer'].indexOf(b),
      ),
    );
  });

  it('keeps the last owner: a check running under the lock sees the owner count', async () => {
    await expect(
      memberships.changeRole(acme.workspaceId, acme.userId, 'admin', keepLastOwner),
    ).rejects.toThrow('last owner');
    expect(await memberships.role(acme.workspaceId, acme.userId)).toBe('owner');
    // Two owners demoting each other at once: one wins, the other sees a single owner left.
    const second = await invite(acme.workspaceId, 'owner2@acme.test', 'admin', 'hash-owner2');
    const joined = await invitations.accept(second.id, { email: 'owner2@acme.test', passwordHash: 'p' });
    if (!joined.ok) throw new Error('not joined');
    expect(await memberships.changeRole(acme.workspaceId, joined.userId, 'owner', allow)).toMatchObject({
      before: 'admin',
      member: { role: 'owner' },
    });
    const results = await Promise.allSettled([
      memberships.changeRole(acme.workspaceId, acme.userId, 'editor', keepLastOwner),
      memberships.changeRole(acme.workspaceId, joined.userId, 'editor', keepLastOwner),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const owners = (await memberships.list(acme.workspaceId)).filter((m) => m.role === 'owner');
    expect(owners).toHaveLength(1);
    // Restore the original owner for the tests below.
    const [owner] = owners;
    if (owner!.userId !== acme.userId) {
      await memberships.changeRole(acme.workspaceId, acme.userId, 'owner', allow);
      await memberships.changeRole(acme.workspaceId, owner!.userId, 'editor', allow);
    }
    expect(
      await memberships.changeRole(acme.workspaceId, '00000000-0000-4000-8000-000000000000', 'viewer', allow),
    ).toBeNull();
  });

  it("removes a member with their keys and sessions in that workspace, and nothing of anyone else's", async () => {
    const invitation = await invite(acme.workspaceId, 'leaver@acme.test', 'editor', 'hash-leaver');
    const joined = await invitations.accept(invitation.id, { email: 'leaver@acme.test', passwordHash: 'p' });
    if (!joined.ok) throw new Error('not joined');
    const key = await apiKeys.create(acme.workspaceId, {
      userId: joined.userId,
      name: 'leaver key',
      prefix: 'mf_leaver',
      keyHash: 'key-leaver',
      role: 'editor',
    });
    const session = await sessions.create(acme.workspaceId, {
      userId: joined.userId,
      tokenHash: 'session-leaver',
      csrfToken: 'c',
      expiresAt: inHours(1),
    });
    const ownerSession = await sessions.create(acme.workspaceId, {
      userId: acme.userId,
      tokenHash: 'session-owner',
      csrfToken: 'c',
      expiresAt: inHours(1),
    });
    const removed = await memberships.remove(acme.workspaceId, joined.userId, keepLastOwner);
    expect(removed).toEqual({
      member: expect.objectContaining({ userId: joined.userId, role: 'editor' }),
      revokedKeyIds: [key.id],
      endedSessionIds: [session.id],
    });
    expect(await memberships.role(acme.workspaceId, joined.userId)).toBeNull();
    expect(await apiKeys.findPrincipalByHash('key-leaver')).toBeNull();
    expect(await sessions.findActiveByTokenHash('session-leaver')).toBeNull();
    expect((await sessions.findActiveByTokenHash('session-owner'))?.id).toBe(ownerSession.id);
    expect(await memberships.remove(acme.workspaceId, joined.userId, allow)).toBeNull();
    await expect(memberships.remove(acme.workspaceId, acme.userId, keepLastOwner)).rejects.toThrow(
      'last owner',
    );
  });
});

describe('workspaces, sessions and API keys', () => {
  it('creates a workspace for an existing user as its owner and switches a session into it only when a member', async () => {
    const created = await workspaces.createForUser(acme.userId, 'Side project');
    expect(created).toMatchObject({ name: 'Side project', role: 'owner' });
    expect(await memberships.role(created.id, acme.userId)).toBe('owner');
    expect(await workspaces.rename(created.id, 'Side project 2')).toMatchObject({ name: 'Side project 2' });

    const session = await sessions.create(acme.workspaceId, {
      userId: acme.userId,
      tokenHash: 'session-switch',
      csrfToken: 'c',
      expiresAt: inHours(1),
    });
    expect(await sessions.switchWorkspace(acme.workspaceId, session.id, acme.userId, created.id)).toBe(true);
    expect(await sessions.findActiveByTokenHash('session-switch')).toMatchObject({
      workspaceId: created.id,
      user: { id: acme.userId, role: 'owner' },
      workspace: { id: created.id, name: 'Side project 2' },
    });
    const stranger = await workspaces.createWorkspaceWithOwner({
      workspaceName: 'Stranger',
      email: 'owner@stranger.test',
      passwordHash: 's',
    });
    expect(await sessions.switchWorkspace(created.id, session.id, acme.userId, stranger.workspaceId)).toBe(
      false,
    );
    expect((await sessions.findActiveByTokenHash('session-switch'))?.workspaceId).toBe(created.id);
    expect(await users.getProfile(stranger.workspaceId, acme.userId)).toBeNull();
  });

  it("resolves a key with its own role and its creator's current one, and refuses it once expired", async () => {
    await apiKeys.create(acme.workspaceId, {
      userId: acme.userId,
      name: 'viewer key',
      prefix: 'mf_viewer',
      keyHash: 'key-viewer',
      role: 'viewer',
      expiresAt: inHours(1),
    });
    expect(await apiKeys.findPrincipalByHash('key-viewer')).toEqual({
      keyId: expect.any(String),
      workspaceId: acme.workspaceId,
      userId: acme.userId,
      keyRole: 'viewer',
      memberRole: 'owner',
      expiresAt: expect.any(Date),
    });
    const expired = await apiKeys.create(acme.workspaceId, {
      userId: acme.userId,
      name: 'expired key',
      prefix: 'mf_expired',
      keyHash: 'key-expired',
      role: 'owner',
      expiresAt: new Date(Date.now() - 1000),
    });
    expect(await apiKeys.findPrincipalByHash('key-expired')).toBeNull();
    const listed = await apiKeys.list(acme.workspaceId);
    expect(listed.map((k) => k.id)).not.toContain(expired.id);
    expect(listed.find((k) => k.name === 'viewer key')).toMatchObject({
      role: 'viewer',
      userEmail: 'owner@acme.test',
    });
  });
});

describe('audit list', () => {
  it('filters by actor, action (exact or a kind), target and time, newest first, with a stable cursor', async () => {
    const ws = (
      await workspaces.createWorkspaceWithOwner({
        workspaceName: 'Audited',
        email: 'owner@audited.test',
        passwordHash: 'a',
      })
    ).workspaceId;
    const actor = (await users.findForLogin('owner@audited.test'))!.id;
    for (let i = 0; i < 5; i += 1) {
      await audit.record(ws, {
        actorKind: 'user',
        actorId: actor,
        action: i % 2 === 0 ? 'automation.deployed' : 'member.role_changed',
        targetKind: i % 2 === 0 ? 'automation' : 'user',
        targetId: `t${i}`,
        data: { i },
      });
    }
    await audit.record(ws, {
      actorKind: 'repair',
      actorId: 'r1',
      action: 'repair.deployed',
      targetKind: 'automation',
      targetId: 't0',
    });
    await audit.record(acme.workspaceId, {
      actorKind: 'user',
      actorId: acme.userId,
      action: 'automation.deployed',
      targetKind: 'automation',
      targetId: 'elsewhere',
    });

    const all = await audit.list(ws, {}, { limit: 50 });
    expect(all.items).toHaveLength(6);
    expect(all.items[0]).toMatchObject({ action: 'repair.deployed', actorKind: 'repair', actorEmail: null });
    expect(all.items[1]).toMatchObject({ actorId: actor, actorEmail: 'owner@audited.test', data: { i: 4 } });
    expect(all.nextCursor).toBeNull();

    expect((await audit.list(ws, { actorId: actor }, { limit: 50 })).items).toHaveLength(5);
    expect((await audit.list(ws, { action: 'member.role_changed' }, { limit: 50 })).items).toHaveLength(2);
    expect((await audit.list(ws, { action: 'member.*' }, { limit: 50 })).items).toHaveLength(2);
    expect((await audit.list(ws, { action: 'member_*' }, { limit: 50 })).items).toHaveLength(0);
    expect(
      (await audit.list(ws, { targetKind: 'automation', targetId: 't0' }, { limit: 50 })).items,
    ).toHaveLength(2);
    expect(
      (await audit.list(ws, { createdFrom: new Date(Date.now() + 60_000) }, { limit: 50 })).items,
    ).toEqual([]);
    expect(
      (await audit.list(ws, { createdTo: new Date(Date.now() + 60_000) }, { limit: 50 })).items,
    ).toHaveLength(6);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await audit.list(ws, {}, { limit: 4, cursor });
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(all.items.map((e) => e.id));
    await expect(audit.list(ws, {}, { limit: 4, cursor: 'bm9wZQ' })).rejects.toMatchObject({
      code: 'INVALID_CURSOR',
    });
  });
});

describe('the teams migration', () => {
  it('makes every existing user the owner of their workspace, and their keys owner keys', async () => {
    const old = await createTestDatabase('teams_migration', { stopBefore: '20261122000000_teams' });
    const client = new pg.Client({ connectionString: old.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO workspaces (name) VALUES ('Existing') RETURNING id`,
      );
      const workspaceId = rows[0]!.id;
      const user = await client.query<{ id: string }>(
        `INSERT INTO users (workspace_id, email, password_hash) VALUES ($1, 'admin@existing.test', 'h') RETURNING id`,
        [workspaceId],
      );
      const userId = user.rows[0]!.id;
      await client.query(
        `INSERT INTO api_keys (workspace_id, user_id, name, prefix, key_hash) VALUES ($1, $2, 'bootstrap', 'mf_x', 'key-existing')`,
        [workspaceId, userId],
      );
      await client.query(
        `INSERT INTO user_sessions (workspace_id, user_id, token_hash, csrf_token, expires_at) VALUES ($1, $2, 'session-existing', 'c', now() + interval '1 day')`,
        [workspaceId, userId],
      );
      await old.migrate();

      const migrated = createDb(old.url, { poolSize: 1 });
      try {
        expect(await new MembershipsRepository(migrated).role(workspaceId, userId)).toBe('owner');
        expect(await new ApiKeysRepository(migrated).findPrincipalByHash('key-existing')).toMatchObject({
          workspaceId,
          userId,
          keyRole: 'owner',
          memberRole: 'owner',
          expiresAt: null,
        });
        expect(
          await new SessionsRepository(migrated).findActiveByTokenHash('session-existing'),
        ).toMatchObject({
          user: { id: userId, role: 'owner' },
          workspace: { id: workspaceId, name: 'Existing' },
        });
        expect(await new UsersRepository(migrated).findForLogin('admin@existing.test')).toEqual({
          id: userId,
          email: 'admin@existing.test',
          passwordHash: 'h',
        });
      } finally {
        await migrated.$disconnect();
      }
    } finally {
      await client.end();
      await old.drop();
    }
  });
});
