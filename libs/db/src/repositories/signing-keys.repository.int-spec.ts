import { DomainError } from '@mendflow/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../database';
import { createTestDatabase, type TestDatabase } from '../testing/test-database';
import { SigningKeysRepository } from './signing-keys.repository';
import { type OwnerRecord, WorkspacesRepository } from './workspaces.repository';

// Signing keys and trusted publishers against the real PostgreSQL: one key per workspace however many
// first uses race, trust unique per workspace by fingerprint, and nothing visible across workspaces.

let database: TestDatabase;
let db: Db;
let keys: SigningKeysRepository;
let acme: OwnerRecord;
let globex: OwnerRecord;

const candidate = (n: number) => ({
  publicKey: `public-${n}`,
  privateKeyCiphertext: `sealed-${n}`,
  fingerprint: n.toString(16).padStart(64, '0'),
});

beforeAll(async () => {
  database = await createTestDatabase('bundles_signing_keys');
  db = createDb(database.url, { poolSize: 8 });
  keys = new SigningKeysRepository(db);
  const workspaces = new WorkspacesRepository(db);
  acme = await workspaces.createWorkspaceWithOwner({
    workspaceName: 'Acme',
    email: 'o@acme.test',
    passwordHash: 'x',
  });
  globex = await workspaces.createWorkspaceWithOwner({
    workspaceName: 'Globex',
    email: 'o@globex.test',
    passwordHash: 'x',
  });
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

describe('workspace signing keys', () => {
  it('is created once: concurrent first uses all get the one key that was stored', async () => {
    expect(await keys.getKey(acme.workspaceId)).toBeNull();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, n) => keys.getOrCreateKey(acme.workspaceId, candidate(n + 1))),
    );
    const stored = await keys.getKey(acme.workspaceId);
    expect(stored).not.toBeNull();
    expect(new Set(results.map((key) => key.publicKey))).toEqual(new Set([stored!.publicKey]));
    expect(results.every((key) => key.privateKeyCiphertext === stored!.privateKeyCiphertext)).toBe(true);
    expect(await db.workspaceSigningKey.count({ where: { workspaceId: acme.workspaceId } })).toBe(1);
  });

  it('keeps the stored key when asked again with another candidate', async () => {
    const before = await keys.getKey(acme.workspaceId);
    const again = await keys.getOrCreateKey(acme.workspaceId, candidate(99));
    expect(again).toEqual(before);
  });

  it('is per workspace', async () => {
    const acmeKey = await keys.getKey(acme.workspaceId);
    const globexKey = await keys.getOrCreateKey(globex.workspaceId, candidate(42));
    expect(globexKey).toMatchObject({ workspaceId: globex.workspaceId, publicKey: 'public-42' });
    expect(acmeKey?.publicKey).not.toBe('public-42');
  });
});

describe('trusted publishers', () => {
  const partner = { name: 'Partner', publicKey: 'partner-key', fingerprint: 'f'.repeat(64) };

  it('trusts a key once per workspace: the same fingerprint again is PUBLISHER_ALREADY_TRUSTED', async () => {
    const added = await keys.addTrusted(acme.workspaceId, { ...partner, addedBy: acme.userId });
    expect(added).toMatchObject({ ...partner, workspaceId: acme.workspaceId, addedBy: acme.userId });
    const again = keys.addTrusted(acme.workspaceId, { ...partner, name: 'Renamed', addedBy: acme.userId });
    await expect(again).rejects.toMatchObject({ code: 'PUBLISHER_ALREADY_TRUSTED', kind: 'conflict' });
    await expect(again).rejects.toBeInstanceOf(DomainError);
    expect(await keys.listTrusted(acme.workspaceId)).toHaveLength(1);
  });

  it('is scoped to the workspace: another workspace may trust the same key, and sees only its own', async () => {
    const theirs = await keys.addTrusted(globex.workspaceId, { ...partner, addedBy: globex.userId });
    expect((await keys.listTrusted(globex.workspaceId)).map((p) => p.id)).toEqual([theirs.id]);
    expect((await keys.listTrusted(acme.workspaceId)).map((p) => p.id)).not.toContain(theirs.id);
    expect(await keys.findTrustedByFingerprint(globex.workspaceId, partner.fingerprint)).toMatchObject({
      id: theirs.id,
    });
    expect(await keys.findTrustedByFingerprint(globex.workspaceId, 'e'.repeat(64))).toBeNull();
  });

  it("does not remove another workspace's publisher, and removes its own", async () => {
    const [theirs] = await keys.listTrusted(globex.workspaceId);
    await expect(keys.removeTrusted(acme.workspaceId, theirs!.id)).rejects.toMatchObject({
      code: 'TRUSTED_PUBLISHER_NOT_FOUND',
    });
    expect(await keys.listTrusted(globex.workspaceId)).toHaveLength(1);
    await expect(keys.removeTrusted(globex.workspaceId, theirs!.id)).resolves.toMatchObject({
      name: 'Partner',
    });
    expect(await keys.listTrusted(globex.workspaceId)).toEqual([]);
    expect(await keys.findTrustedByFingerprint(acme.workspaceId, partner.fingerprint)).not.toBeNull();
  });
});
