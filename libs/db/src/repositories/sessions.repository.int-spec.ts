import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../database';
import { createTestDatabase, type TestDatabase } from '../testing/test-database';
import { SessionsRepository } from './sessions.repository';
import { UsersRepository } from './users.repository';
import { type OwnerRecord, WorkspacesRepository } from './workspaces.repository';

let database: TestDatabase;
let db: Db;
let sessions: SessionsRepository;
let users: UsersRepository;
let owner: OwnerRecord;
let other: OwnerRecord;

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000);

beforeAll(async () => {
  database = await createTestDatabase('sessions');
  db = createDb(database.url, { poolSize: 2 });
  sessions = new SessionsRepository(db);
  users = new UsersRepository(db);
  const workspaces = new WorkspacesRepository(db);
  owner = await workspaces.createWorkspaceWithOwner({
    workspaceName: 'Ops',
    email: 'ops@example.test',
    passwordHash: 'x',
  });
  other = await workspaces.createWorkspaceWithOwner({
    workspaceName: 'Other',
    email: 'other@example.test',
    passwordHash: 'y',
  });
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

describe('SessionsRepository', () => {
  it('finds a live session by its token hash, with its user and workspace', async () => {
    const created = await sessions.create(owner.workspaceId, {
      userId: owner.userId,
      tokenHash: 'hash-live',
      csrfToken: 'csrf',
      expiresAt: inDays(7),
    });
    const found = await sessions.findActiveByTokenHash('hash-live');
    expect(found).toEqual({
      ...created,
      user: { id: owner.userId, email: 'ops@example.test', role: 'owner' },
      workspace: { id: owner.workspaceId, name: 'Ops' },
    });
    expect(await sessions.findActiveByTokenHash('unknown')).toBeNull();
  });

  it("ignores an expired session and cleans a user's expired ones at sign-in", async () => {
    await sessions.create(owner.workspaceId, {
      userId: owner.userId,
      tokenHash: 'hash-old',
      csrfToken: 'c',
      expiresAt: inDays(-1),
    });
    expect(await sessions.findActiveByTokenHash('hash-old')).toBeNull();
    expect(await sessions.deleteExpiredForUser(owner.userId)).toBe(1);
    expect(await sessions.findActiveByTokenHash('hash-live')).not.toBeNull();
  });

  it('deletes a session only within its workspace', async () => {
    const created = await sessions.create(owner.workspaceId, {
      userId: owner.userId,
      tokenHash: 'hash-bye',
      csrfToken: 'c',
      expiresAt: inDays(1),
    });
    expect(await sessions.delete(other.workspaceId, created.id)).toBe(false);
    expect(await sessions.findActiveByTokenHash('hash-bye')).not.toBeNull();
    expect(await sessions.delete(owner.workspaceId, created.id)).toBe(true);
    expect(await sessions.findActiveByTokenHash('hash-bye')).toBeNull();
  });

  it('ends the sessions of a user who no longer exists', async () => {
    const gone = await new WorkspacesRepository(db).createWorkspaceWithOwner({
      workspaceName: 'Gone',
      email: 'gone@example.test',
      passwordHash: 'z',
    });
    await sessions.create(gone.workspaceId, {
      userId: gone.userId,
      tokenHash: 'hash-gone',
      csrfToken: 'c',
      expiresAt: inDays(1),
    });
    await db.user.delete({ where: { id: gone.userId } });
    expect(await sessions.findActiveByTokenHash('hash-gone')).toBeNull();
  });
});

describe('UsersRepository', () => {
  it('finds a sign-in candidate by email and a profile only within its workspace', async () => {
    expect(await users.findForLogin('ops@example.test')).toEqual({
      id: owner.userId,
      email: 'ops@example.test',
      passwordHash: 'x',
    });
    expect(await users.findForLogin('nobody@example.test')).toBeNull();
    expect(await users.getProfile(owner.workspaceId, owner.userId)).toEqual({
      user: { id: owner.userId, email: 'ops@example.test', role: 'owner' },
      workspace: { id: owner.workspaceId, name: 'Ops' },
    });
    expect(await users.getProfile(other.workspaceId, owner.userId)).toBeNull();
  });
});
