import { randomUUID } from 'node:crypto';
import { createDb, type Db } from '@mendflow/db';
import { type Permission, type Role, roleAllows } from '@mendflow/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient } from './support/client';
import { connectLive, eventually, pause } from './support/live';
import { http, type SessionClient, sessionFrom, signIn } from './support/session';
import { ADMIN, BOOTSTRAP_KEY, type Stack, startStack } from './support/stack';

// Teams over HTTP against the real API process and PostgreSQL: invitations end to end, the role matrix
// on every write route of the served OpenAPI document, API key roles and expiry, several workspaces per
// user, and the audit log. No worker runs: runs stay queued, which is all the role checks need.

let stack: Stack;
let db: Db;
let ownerKey: Api;
let owner: SessionClient;
let automationId: string;
let runId: string;

interface Member {
  session: SessionClient;
  userId: string;
  email: string;
  password: string;
}

const anon = (method: string, path: string, body?: unknown) => http(stack.apiUrl, method, path, { body });

/** Invites `email` into the session's current workspace with `role`; the invitee accepts with a password. */
async function join(by: SessionClient, email: string, role: Role): Promise<Member> {
  const invited = await by.call('POST', '/api/v1/invitations', { email, role });
  expect(invited.status, JSON.stringify(invited.body)).toBe(201);
  const password = `${email} password`;
  const session = sessionFrom(
    stack.apiUrl,
    await anon('POST', '/api/v1/invitations/accept', { token: invited.body.token, password }),
  );
  return { session, userId: session.profile.user.id, email, password };
}

/** An API key created by `by` with `role` (and optional expiry), and a client using it. */
async function keyOf(by: SessionClient | Api, body: Record<string, unknown>) {
  const created =
    typeof by === 'function'
      ? await by('POST', '/api/v1/api-keys', body)
      : await by.call('POST', '/api/v1/api-keys', body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { record: created.body, api: apiClient(stack.apiUrl, created.body.key as string) };
}

beforeAll(async () => {
  stack = await startStack('teams', { redisDb: 5, worker: false });
  db = createDb(stack.databaseUrl, { poolSize: 1 });
  ownerKey = apiClient(stack.apiUrl, BOOTSTRAP_KEY);
  owner = await signIn(stack.apiUrl);
  const automation = await ownerKey('POST', '/api/v1/automations', {
    name: 'team report',
    source: 'export default async function run() { return { ok: true }; }',
  });
  expect(automation.status, JSON.stringify(automation.body)).toBe(201);
  automationId = automation.body.id;
  const run = await ownerKey('POST', `/api/v1/automations/${automationId}/runs`, {});
  expect(run.status).toBe(202);
  runId = run.body.id;
});

afterAll(async () => {
  await db?.$disconnect();
  await stack?.stop();
});

describe('invitations', () => {
  it('invites by email with a link shown once; the invitee sets a password, joins, and signs in to the workspace', async () => {
    const invited = await owner.call('POST', '/api/v1/invitations', {
      email: ' Alice@Team.test ',
      role: 'editor',
    });
    expect(invited.status).toBe(201);
    expect(invited.body).toEqual({
      id: expect.any(String),
      email: 'alice@team.test',
      role: 'editor',
      state: 'pending',
      invitedBy: { id: owner.profile.user.id, email: ADMIN.email },
      createdAt: expect.any(String),
      expiresAt: expect.any(String),
      token: expect.stringMatching(/^mfi_[\w-]{43}$/),
      acceptPath: `/invite#token=${invited.body.token}`,
    });
    // Seven days by default.
    const days = (Date.parse(invited.body.expiresAt) - Date.parse(invited.body.createdAt)) / 86_400_000;
    expect(days).toBeCloseTo(7, 2);
    const listed = await owner.call('GET', '/api/v1/invitations');
    expect(listed.body.items.find((i: { id: string }) => i.id === invited.body.id)).toMatchObject({
      email: 'alice@team.test',
      state: 'pending',
    });
    expect(JSON.stringify(listed.body)).not.toContain(invited.body.token);
    const stored = await db.invitation.findUniqueOrThrow({ where: { id: invited.body.id } });
    expect(stored.tokenHash).not.toContain(invited.body.token.slice(4));

    const preview = await anon('POST', '/api/v1/invitations/preview', { token: invited.body.token });
    expect(preview.status).toBe(200);
    expect(preview.body).toEqual({
      workspace: { name: 'Default workspace' },
      email: 'alice@team.test',
      role: 'editor',
      invitedBy: ADMIN.email,
      expiresAt: invited.body.expiresAt,
      state: 'pending',
      accountExists: false,
    });

    const short = await anon('POST', '/api/v1/invitations/accept', {
      token: invited.body.token,
      password: 'short',
    });
    expect(short.status).toBe(400);
    expect(short.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('password'),
    });

    const accepted = await anon('POST', '/api/v1/invitations/accept', {
      token: invited.body.token,
      password: 'alice long password',
    });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body).toMatchObject({
      user: { email: 'alice@team.test', role: 'editor' },
      workspace: { id: owner.profile.workspace.id, name: 'Default workspace' },
      permissions: ['account', 'workspace:read', 'automations:write', 'runs:write', 'inbox:resolve'],
      csrfToken: expect.any(String),
    });
    const alice = sessionFrom(stack.apiUrl, accepted);
    expect(
      (await alice.call('GET', '/api/v1/automations')).body.items.map((a: { id: string }) => a.id),
    ).toContain(automationId);

    // The link works once.
    const again = await anon('POST', '/api/v1/invitations/accept', {
      token: invited.body.token,
      password: 'someone else entirely',
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('INVITATION_USED');
    expect(
      (await anon('POST', '/api/v1/invitations/preview', { token: invited.body.token })).body.state,
    ).toBe('accepted');

    // The new member signs in with their password and sees the workspace.
    const signedIn = await signIn(stack.apiUrl, 'alice@team.test', 'alice long password');
    expect(signedIn.profile.workspace.id).toBe(owner.profile.workspace.id);
    expect((await signedIn.call('GET', `/api/v1/automations/${automationId}`)).status).toBe(200);
    const members = await owner.call('GET', '/api/v1/members');
    expect(members.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ email: ADMIN.email, role: 'owner', you: true }),
        expect.objectContaining({ email: 'alice@team.test', role: 'editor', you: false }),
      ]),
    );
  });

  it('refuses expired, withdrawn and unknown links, and an email that is already a member', async () => {
    const expiring = await owner.call('POST', '/api/v1/invitations', {
      email: 'late@team.test',
      role: 'viewer',
      expiresInHours: 1,
    });
    expect(expiring.status).toBe(201);
    // An hour is long for a test: the invitation's clock is moved instead.
    await db.invitation.update({
      where: { id: expiring.body.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect(
      (await anon('POST', '/api/v1/invitations/preview', { token: expiring.body.token })).body.state,
    ).toBe('expired');
    const late = await anon('POST', '/api/v1/invitations/accept', {
      token: expiring.body.token,
      password: 'a good password',
    });
    expect(late.status).toBe(409);
    expect(late.body).toEqual({
      error: {
        code: 'INVITATION_EXPIRED',
        message: 'this invitation has expired; ask for a new one',
        details: { field: 'token' },
      },
    });
    expect(
      (await owner.call('GET', '/api/v1/invitations')).body.items.find(
        (i: { id: string }) => i.id === expiring.body.id,
      ).state,
    ).toBe('expired');

    const withdrawn = await owner.call('POST', '/api/v1/invitations', {
      email: 'nope@team.test',
      role: 'viewer',
    });
    expect((await owner.call('DELETE', `/api/v1/invitations/${withdrawn.body.id}`)).status).toBe(204);
    expect((await owner.call('DELETE', `/api/v1/invitations/${withdrawn.body.id}`)).status).toBe(404);
    const refused = await anon('POST', '/api/v1/invitations/accept', {
      token: withdrawn.body.token,
      password: 'a good password',
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('INVITATION_REVOKED');

    const unknown = await anon('POST', '/api/v1/invitations/accept', {
      token: 'mfi_not_a_token',
      password: 'a good password',
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('INVITATION_NOT_FOUND');
    expect((await anon('POST', '/api/v1/invitations/preview', { token: 'mfi_nope' })).status).toBe(404);

    const member = await owner.call('POST', '/api/v1/invitations', {
      email: 'alice@team.test',
      role: 'admin',
    });
    expect(member.status).toBe(409);
    expect(member.body.error.code).toBe('ALREADY_MEMBER');
    const bad = await owner.call('POST', '/api/v1/invitations', { email: 'not an email', role: 'boss' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues.map((i: { path: string }) => i.path).sort()).toEqual([
      'email',
      'role',
    ]);
  });

  it('lets someone with an account join another workspace by signing in, never by trying a password on the link', async () => {
    const other = await owner.call('POST', '/api/v1/workspaces', { name: 'Invite target' });
    expect(other.status).toBe(201);
    expect((await owner.call('POST', `/api/v1/workspaces/${other.body.id}/switch`)).status).toBe(200);
    const invited = await owner.call('POST', '/api/v1/invitations', {
      email: 'alice@team.test',
      role: 'viewer',
    });
    expect(invited.status).toBe(201);
    expect((await owner.call('POST', `/api/v1/workspaces/${owner.profile.workspace.id}/switch`)).status).toBe(
      200,
    );

    expect(
      (await anon('POST', '/api/v1/invitations/preview', { token: invited.body.token })).body,
    ).toMatchObject({
      workspace: { name: 'Invite target' },
      accountExists: true,
    });
    const withPassword = await anon('POST', '/api/v1/invitations/accept', {
      token: invited.body.token,
      password: 'alice long password',
    });
    expect(withPassword.status).toBe(409);
    expect(withPassword.body.error.code).toBe('ACCOUNT_EXISTS');

    // Someone else's session cannot use it.
    const bob = await join(owner, 'bob@team.test', 'viewer');
    const wrong = await bob.session.call('POST', '/api/v1/invitations/join', { token: invited.body.token });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('INVITATION_FOR_ANOTHER_EMAIL');
    // Nor an API key.
    expect(
      (await ownerKey('POST', '/api/v1/invitations/join', { token: invited.body.token })).body.error.code,
    ).toBe('SESSION_REQUIRED');

    const alice = await signIn(stack.apiUrl, 'alice@team.test', 'alice long password');
    const joined = await alice.call('POST', '/api/v1/invitations/join', { token: invited.body.token });
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    expect(joined.body).toMatchObject({
      user: { role: 'viewer' },
      workspace: { id: other.body.id, name: 'Invite target' },
    });
    expect((await alice.call('GET', '/api/v1/me')).body.workspace.id).toBe(other.body.id);
    const theirs = await alice.call('GET', '/api/v1/workspaces');
    expect(
      theirs.body.items.map((w: { name: string; role: string; current: boolean }) => [
        w.name,
        w.role,
        w.current,
      ]),
    ).toEqual([
      ['Default workspace', 'editor', false],
      ['Invite target', 'viewer', true],
    ]);
    expect(
      (await alice.call('POST', '/api/v1/invitations/join', { token: invited.body.token })).body.error.code,
    ).toBe('INVITATION_USED');
  });
});

describe('roles on every route', () => {
  let operations: { method: string; path: string; permission: Permission }[];
  const byRole = {} as Record<'viewer' | 'editor' | 'admin', { session: SessionClient; key: Api }>;

  beforeAll(async () => {
    const spec = (await (await fetch(`${stack.apiUrl}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { 'x-mendflow-permission'?: { permission: Permission } }>>;
    };
    operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, op]) => op['x-mendflow-permission'])
        .map(([method, op]) => ({
          method: method.toUpperCase(),
          path,
          permission: op['x-mendflow-permission']!.permission,
        })),
    );
    for (const role of ['viewer', 'editor', 'admin'] as const) {
      const member = await join(owner, `${role}@roles.test`, role);
      // Keys with the member's role, made by the owner (a viewer or editor may not manage keys).
      const { api } = await keyOf(owner, { name: `${role} key`, role });
      byRole[role] = { session: member.session, key: api };
    }
  });

  /** A path of the document with ids filled in; the permission is checked before anything is looked up. */
  const concrete = (path: string) =>
    path.replace('{id}', randomUUID()).replace('{userId}', randomUUID()).replace('{name}', 'SOME_SECRET');

  it('covers the whole API surface', () => {
    expect(operations.length).toBeGreaterThan(40);
    expect(
      operations.filter((o) => o.method !== 'GET' && o.permission !== 'account').length,
    ).toBeGreaterThanOrEqual(19);
  });

  for (const role of ['viewer', 'editor', 'admin'] as const) {
    it(`answers ${role}s 403 FORBIDDEN on every operation their role does not hold, by session and by key`, async () => {
      const refused = operations.filter((o) => !roleAllows(role, o.permission));
      expect(refused.length).toBeGreaterThan(0);
      for (const op of refused) {
        const path = concrete(op.path);
        for (const [via, answer] of [
          ['session', await byRole[role].session.call(op.method, path, op.method === 'GET' ? undefined : {})],
          ['key', await byRole[role].key(op.method, path, op.method === 'GET' ? undefined : {})],
        ] as const) {
          expect(
            answer.status,
            `${role} ${via} ${op.method} ${op.path}: ${JSON.stringify(answer.body)}`,
          ).toBe(403);
          expect(answer.body.error).toMatchObject({
            code: 'FORBIDDEN',
            message: expect.stringContaining(`you are ${role === 'viewer' ? 'a' : 'an'} ${role} here`),
            details: { permission: op.permission, role },
          });
        }
      }
      // Nothing was changed on the way.
      expect((await ownerKey('GET', `/api/v1/automations/${automationId}`)).body.status).toBe('active');
    });
  }

  it('lets a viewer read everything and follow it live', async () => {
    const { session, key } = byRole.viewer;
    for (const path of [
      '/api/v1/automations',
      `/api/v1/automations/${automationId}`,
      `/api/v1/automations/${automationId}/versions`,
      '/api/v1/runs',
      `/api/v1/runs/${runId}`,
      `/api/v1/runs/${runId}/events`,
      `/api/v1/runs/${runId}/logs`,
      '/api/v1/inbox',
      '/api/v1/repairs',
      '/api/v1/secrets',
      '/api/v1/stats/overview',
      '/api/v1/members',
      '/api/v1/workspaces',
      '/api/v1/me',
    ]) {
      expect((await session.call('GET', path)).status, path).toBe(200);
      expect((await key('GET', path)).status, path).toBe(200);
    }
    const live = await connectLive(stack.apiUrl, { headers: { cookie: session.cookie } });
    try {
      expect(await live.subscribe({ workspace: true })).toEqual({ ok: true });
      expect(await live.subscribe({ runId })).toEqual({ ok: true });
    } finally {
      live.close();
    }
  });

  it('lets an editor write automations, run, cancel and retry, but not manage members, keys or secrets', async () => {
    const { session, key } = byRole.editor;
    const created = await session.call('POST', '/api/v1/automations', {
      name: 'editor made',
      source: 'export default async function run() { return 1; }',
    });
    expect(created.status).toBe(201);
    const run = await key('POST', `/api/v1/automations/${created.body.id}/runs`, {});
    expect(run.status).toBe(202);
    expect((await session.call('POST', `/api/v1/runs/${run.body.id}/cancel`)).status).toBe(200);
    expect((await key('POST', `/api/v1/runs/${run.body.id}/retry`)).status).toBe(202);
    expect(
      (await session.call('POST', '/api/v1/lint', { source: 'export default async () => 1' })).status,
    ).toBe(200);
    for (const [method, path, body] of [
      ['GET', '/api/v1/api-keys', undefined],
      ['POST', '/api/v1/api-keys', { name: 'mine' }],
      ['POST', '/api/v1/invitations', { email: 'x@roles.test', role: 'viewer' }],
      ['PATCH', `/api/v1/members/${owner.profile.user.id}`, { role: 'viewer' }],
      ['DELETE', `/api/v1/members/${owner.profile.user.id}`, undefined],
      ['PUT', '/api/v1/secrets/EDITOR_SECRET', { value: 'x' }],
      ['GET', '/api/v1/audit', undefined],
    ] as const) {
      const answer = await session.call(method, path, body);
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.body.error.code).toBe('FORBIDDEN');
    }
  });

  it('lets an admin manage members and secrets but never grant, change or remove an owner', async () => {
    const { session } = byRole.admin;
    const ownerId = owner.profile.user.id;
    const grantOwner = await session.call('POST', '/api/v1/invitations', {
      email: 'boss@roles.test',
      role: 'owner',
    });
    expect(grantOwner.status).toBe(403);
    expect(grantOwner.body.error).toMatchObject({ code: 'ROLE_NOT_GRANTABLE', details: { field: 'role' } });
    const demote = await session.call('PATCH', `/api/v1/members/${ownerId}`, { role: 'viewer' });
    expect(demote.status).toBe(403);
    expect(demote.body.error.code).toBe('OWNER_PROTECTED');
    expect((await session.call('DELETE', `/api/v1/members/${ownerId}`)).body.error.code).toBe(
      'OWNER_PROTECTED',
    );

    const carol = await join(session, 'carol@roles.test', 'editor');
    expect(
      (await session.call('PATCH', `/api/v1/members/${carol.userId}`, { role: 'owner' })).body.error.code,
    ).toBe('ROLE_NOT_GRANTABLE');
    const changed = await session.call('PATCH', `/api/v1/members/${carol.userId}`, { role: 'viewer' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ userId: carol.userId, role: 'viewer' });
    // The change holds at once: carol's session is a viewer's now.
    expect((await carol.session.call('POST', '/api/v1/lint', { source: 'x' })).status).toBe(403);
    expect((await session.call('PUT', '/api/v1/secrets/ADMIN_SECRET', { value: 'admin-value' })).status).toBe(
      200,
    );
    expect((await session.call('DELETE', `/api/v1/members/${carol.userId}`)).status).toBe(204);
    expect((await carol.session.call('GET', '/api/v1/me')).status).toBe(401);
    expect((await session.call('DELETE', `/api/v1/members/${carol.userId}`)).status).toBe(404);
  });

  it('keeps the last owner, and lets owners hand ownership on', async () => {
    const ownerId = owner.profile.user.id;
    const demote = await owner.call('PATCH', `/api/v1/members/${ownerId}`, { role: 'admin' });
    expect(demote.status).toBe(409);
    expect(demote.body.error.code).toBe('LAST_OWNER');
    expect((await owner.call('DELETE', `/api/v1/members/${ownerId}`)).body.error.code).toBe('LAST_OWNER');
    const dave = await join(owner, 'dave@roles.test', 'admin');
    expect((await owner.call('PATCH', `/api/v1/members/${dave.userId}`, { role: 'owner' })).status).toBe(200);
    // Now dave, an owner, may change the first owner, and back.
    expect((await dave.session.call('PATCH', `/api/v1/members/${ownerId}`, { role: 'admin' })).status).toBe(
      200,
    );
    expect((await owner.call('GET', '/api/v1/members')).status).toBe(200);
    expect((await owner.call('GET', '/api/v1/audit')).status).toBe(200); // an admin still reads the audit
    expect((await owner.call('PATCH', '/api/v1/workspaces/current', { name: 'x' })).status).toBe(403);
    expect((await dave.session.call('PATCH', `/api/v1/members/${ownerId}`, { role: 'owner' })).status).toBe(
      200,
    );
    expect((await owner.call('DELETE', `/api/v1/members/${dave.userId}`)).status).toBe(204);
  });

  it("closes a removed member's live connections and ends their keys", async () => {
    const erin = await join(owner, 'erin@roles.test', 'admin');
    const { api: erinKey } = await keyOf(erin.session, { name: 'erin key', role: 'viewer' });
    expect((await erinKey('GET', '/api/v1/me')).status).toBe(200);
    const live = await connectLive(stack.apiUrl, { headers: { cookie: erin.session.cookie } });
    expect(await live.subscribe({ workspace: true })).toEqual({ ok: true });
    let reason = '';
    live.socket.once('disconnect', (r) => (reason = r));
    expect((await owner.call('DELETE', `/api/v1/members/${erin.userId}`)).status).toBe(204);
    await eventually(() => reason !== '', 'the socket to close');
    expect(reason).toBe('io server disconnect');
    expect((await erinKey('GET', '/api/v1/me')).status).toBe(401);
    await expect(
      connectLive(stack.apiUrl, { headers: { cookie: erin.session.cookie } }),
    ).rejects.toMatchObject({
      data: { code: 'UNAUTHENTICATED' },
    });
    // Erin can still sign in, but no longer belongs anywhere.
    const login = await anon('POST', '/api/v1/auth/login', { email: erin.email, password: erin.password });
    expect(login.status).toBe(403);
    expect(login.body.error.code).toBe('NO_WORKSPACE');
  });
});

describe('API keys', () => {
  it("never get a role above their creator's, and act with the lesser of theirs and the creator's current one", async () => {
    const frank = await join(owner, 'frank@keys.test', 'admin');
    const tooHigh = await frank.session.call('POST', '/api/v1/api-keys', { name: 'escalate', role: 'owner' });
    expect(tooHigh.status).toBe(403);
    expect(tooHigh.body.error).toMatchObject({
      code: 'API_KEY_ROLE_TOO_HIGH',
      message: expect.stringContaining('role'),
      details: { field: 'role', role: 'owner', yourRole: 'admin' },
    });
    const { record, api: adminKey } = await keyOf(frank.session, { name: 'frank default' });
    expect(record).toMatchObject({
      role: 'admin',
      createdBy: { id: frank.userId, email: 'frank@keys.test' },
      expiresAt: null,
    });
    const { api: editorKey } = await keyOf(adminKey, { name: 'made by a key', role: 'editor' });
    // An editor key cannot make keys, whoever made it.
    expect((await editorKey('POST', '/api/v1/api-keys', { name: 'again' })).status).toBe(403);
    expect((await editorKey('GET', '/api/v1/me')).body.user.role).toBe('editor');

    // Demoting frank demotes his keys at once.
    expect((await owner.call('PATCH', `/api/v1/members/${frank.userId}`, { role: 'viewer' })).status).toBe(
      200,
    );
    expect((await adminKey('GET', '/api/v1/me')).body.user.role).toBe('viewer');
    expect((await adminKey('PUT', '/api/v1/secrets/FRANK', { value: 'x' })).status).toBe(403);
    // Removing him ends them.
    expect((await owner.call('DELETE', `/api/v1/members/${frank.userId}`)).status).toBe(204);
    expect((await adminKey('GET', '/api/v1/me')).status).toBe(401);
    expect((await editorKey('GET', '/api/v1/me')).status).toBe(401);
  });

  it('expire: a key past its expiry answers 401, and an expiry must be in the future', async () => {
    const past = await ownerKey('POST', '/api/v1/api-keys', {
      name: 'past',
      expiresAt: '2020-01-01T00:00:00Z',
    });
    expect(past.status).toBe(400);
    expect(past.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'expiresAt: must be in the future',
    });
    const malformed = await ownerKey('POST', '/api/v1/api-keys', { name: 'bad', expiresAt: 'tomorrow' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toContain('expiresAt');

    const expiresAt = new Date(Date.now() + 2500).toISOString();
    const { record, api: shortLived } = await keyOf(ownerKey, {
      name: 'short-lived',
      role: 'viewer',
      expiresAt,
    });
    expect(record).toMatchObject({ role: 'viewer', expiresAt });
    expect((await shortLived('GET', '/api/v1/me')).status).toBe(200); // cached by the API from now on
    await pause(Date.parse(expiresAt) - Date.now() + 200);
    const refused = await shortLived('GET', '/api/v1/me');
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('UNAUTHENTICATED');
    expect(
      (await ownerKey('GET', '/api/v1/api-keys')).body.items.map((k: { id: string }) => k.id),
    ).not.toContain(record.id);
  });

  it('keeps the bootstrap key an owner key', async () => {
    const me = await ownerKey('GET', '/api/v1/me');
    expect(me.body.user).toMatchObject({ email: ADMIN.email, role: 'owner' });
    expect(
      (await ownerKey('GET', '/api/v1/api-keys')).body.items.find(
        (k: { name: string }) => k.name === 'bootstrap',
      ),
    ).toMatchObject({
      role: 'owner',
      expiresAt: null,
    });
  });
});

describe('workspaces', () => {
  it('creates a workspace owned by its creator, switches the session into it and back, scoped throughout', async () => {
    const created = await owner.call('POST', '/api/v1/workspaces', { name: '  Side project ' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      name: 'Side project',
      role: 'owner',
      current: false,
      createdAt: expect.any(String),
    });
    const switched = await owner.call('POST', `/api/v1/workspaces/${created.body.id}/switch`);
    expect(switched.status).toBe(200);
    expect(switched.body).toMatchObject({
      workspace: { id: created.body.id, name: 'Side project' },
      user: { role: 'owner' },
      csrfToken: owner.csrfToken,
    });
    expect((await owner.call('GET', '/api/v1/automations')).body.items).toEqual([]);
    expect((await owner.call('GET', `/api/v1/automations/${automationId}`)).status).toBe(404);
    expect((await owner.call('GET', `/api/v1/runs/${runId}`)).status).toBe(404);
    expect(
      (await owner.call('PATCH', '/api/v1/workspaces/current', { name: 'Side project 2' })).body.name,
    ).toBe('Side project 2');

    const mine = await owner.call('GET', '/api/v1/workspaces');
    expect(mine.body.items.find((w: { current: boolean }) => w.current).id).toBe(created.body.id);
    expect(mine.body.items.map((w: { name: string }) => w.name)).toEqual(
      expect.arrayContaining(['Default workspace', 'Side project 2', 'Invite target']),
    );
    // An API key belongs to its workspace: it sees that one only, and cannot switch or create.
    expect((await ownerKey('GET', '/api/v1/workspaces')).body.items).toEqual([
      expect.objectContaining({ id: owner.profile.workspace.id, current: true }),
    ]);
    for (const answer of [
      await ownerKey('POST', `/api/v1/workspaces/${created.body.id}/switch`),
      await ownerKey('POST', '/api/v1/workspaces', { name: 'by key' }),
    ]) {
      expect(answer.status).toBe(403);
      expect(answer.body.error.code).toBe('SESSION_REQUIRED');
    }
    // A workspace the user is not a member of is not found.
    const stranger = await db.workspace.create({ data: { name: 'Stranger' } });
    const notMine = await owner.call('POST', `/api/v1/workspaces/${stranger.id}/switch`);
    expect(notMine.status).toBe(404);
    expect(notMine.body.error.code).toBe('WORKSPACE_NOT_FOUND');
    expect((await owner.call('GET', '/api/v1/me')).body.workspace.id).toBe(created.body.id);

    // Signing in again opens the workspace selected last.
    const again = await signIn(stack.apiUrl);
    expect(again.profile.workspace.id).toBe(created.body.id);
    expect((await again.call('POST', `/api/v1/workspaces/${owner.profile.workspace.id}/switch`)).status).toBe(
      200,
    );
    expect((await owner.call('POST', `/api/v1/workspaces/${owner.profile.workspace.id}/switch`)).status).toBe(
      200,
    );
  });

  it('lets a member leave a workspace (the session moves on), but not its last owner', async () => {
    const grace = await join(owner, 'grace@leave.test', 'editor');
    const own = await grace.session.call('POST', '/api/v1/workspaces', { name: 'Grace solo' });
    expect(own.status).toBe(201);
    const last = await grace.session.call('POST', `/api/v1/workspaces/${own.body.id}/leave`);
    expect(last.status).toBe(409);
    expect(last.body.error.code).toBe('LAST_OWNER');
    const left = await grace.session.call('POST', `/api/v1/workspaces/${owner.profile.workspace.id}/leave`);
    expect(left.status).toBe(200);
    expect(left.body).toEqual({ signedOut: false });
    expect((await grace.session.call('GET', '/api/v1/me')).body.workspace.id).toBe(own.body.id);
    expect(
      (await owner.call('GET', '/api/v1/members')).body.items.map((m: { email: string }) => m.email),
    ).not.toContain('grace@leave.test');
  });
});

describe('retention settings', () => {
  const path = '/api/v1/workspaces/current/retention';
  const defaults = { runRetentionDays: 30, keepRunsPerAutomation: 100, auditRetentionDays: 365 };

  it('are the defaults until an owner sets them (audited); others read them; a bad field is named', async () => {
    const initial = await ownerKey('GET', path);
    expect(initial.status, JSON.stringify(initial.body)).toBe(200);
    expect(initial.body).toEqual({
      ...defaults,
      defaults,
      limits: { maxDays: 3650, maxKeepRuns: 10_000 },
      due: { runs: 0, auditEntries: 0 },
    });

    // An audit entry 3 days old is due once audit entries are kept 2 days (the GET counts it, nothing is deleted).
    const workspaceId = owner.profile.workspace.id;
    await db.$executeRaw`
      INSERT INTO audit_log (workspace_id, actor_kind, action, target_kind, target_id, created_at)
      VALUES (${workspaceId}::uuid, 'system', 'test.aged', 'workspace', ${workspaceId}, now() - interval '3 days')`;
    const settings = { runRetentionDays: 2, keepRunsPerAutomation: 5, auditRetentionDays: 2 };
    const set = await owner.call('PUT', path, settings);
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body).toMatchObject({ ...settings, defaults, due: { runs: 0, auditEntries: 1 } });

    const viewer = await join(owner, 'viewer@retention.test', 'viewer');
    expect((await viewer.session.call('GET', path)).body).toMatchObject(settings);
    const admin = await join(owner, 'admin@retention.test', 'admin');
    const refused = await admin.session.call('PUT', path, defaults);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({
      code: 'FORBIDDEN',
      details: { permission: 'workspace:manage' },
    });

    for (const [body, field, message] of [
      [{ ...defaults, runRetentionDays: 0 }, 'runRetentionDays', 'must be at least 1'],
      [{ ...defaults, keepRunsPerAutomation: 10_001 }, 'keepRunsPerAutomation', 'must be at most 10000'],
      [{ ...defaults, auditRetentionDays: 10 }, 'auditRetentionDays', 'must be at least runRetentionDays'],
      [{ runRetentionDays: 30, auditRetentionDays: 365 }, 'keepRunsPerAutomation', 'must be a whole number'],
    ] as const) {
      const bad = await owner.call('PUT', path, body);
      expect(bad.status, JSON.stringify(bad.body)).toBe(400);
      expect(bad.body.error.code).toBe('VALIDATION_FAILED');
      expect(bad.body.error.details.issues).toEqual([
        { path: field, message: expect.stringContaining(message) },
      ]);
    }
    // Refused changes changed nothing.
    expect((await ownerKey('GET', path)).body).toMatchObject(settings);

    const audit = await owner.call('GET', '/api/v1/audit?action=workspace.retention_changed');
    expect(audit.body.items).toEqual([
      expect.objectContaining({
        actor: expect.objectContaining({ kind: 'user', id: owner.profile.user.id }),
        target: { kind: 'workspace', id: workspaceId },
        data: { from: defaults, to: settings },
      }),
    ]);
    expect((await owner.call('PUT', path, defaults)).status).toBe(200);
  });
});

describe('audit log', () => {
  const list = (api: Api | SessionClient, query = '') =>
    typeof api === 'function'
      ? api('GET', `/api/v1/audit${query}`)
      : api.call('GET', `/api/v1/audit${query}`);

  it('records who did what, when, to what: deploys, rollbacks, cancels, members, keys and secrets (by name only)', async () => {
    const v2 = await ownerKey('POST', `/api/v1/automations/${automationId}/versions`, {
      source: 'export default async function run() { return { ok: 2 }; }',
    });
    expect(v2.status).toBe(201);
    expect(
      (await ownerKey('POST', `/api/v1/automations/${automationId}/rollback`, { version: 1 })).status,
    ).toBe(200);
    expect(
      (await ownerKey('PATCH', `/api/v1/automations/${automationId}`, { status: 'paused' })).status,
    ).toBe(200);
    expect(
      (await ownerKey('PATCH', `/api/v1/automations/${automationId}`, { status: 'active' })).status,
    ).toBe(200);
    expect((await ownerKey('POST', `/api/v1/runs/${runId}/cancel`)).status).toBe(200);
    expect(
      (await owner.call('PUT', '/api/v1/secrets/CRM_TOKEN', { value: 'very-secret-value-123' })).status,
    ).toBe(200);
    expect((await owner.call('DELETE', '/api/v1/secrets/CRM_TOKEN')).status).toBe(204);
    const key = await keyOf(owner, { name: 'audited key', role: 'viewer' });
    expect((await owner.call('DELETE', `/api/v1/api-keys/${key.record.id}`)).status).toBe(204);

    const all: any[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(owner, `?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      all.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    const times = all.map((e) => Date.parse(e.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const actions = new Set(all.map((e) => e.action));
    for (const action of [
      'automation.deployed',
      'automation.rolled_back',
      'automation.updated',
      'run.cancelled',
      'secret.set',
      'secret.deleted',
      'api_key.created',
      'api_key.revoked',
      'member.invited',
      'member.joined',
      'member.role_changed',
      'member.removed',
      'member.left',
      'invitation.revoked',
    ]) {
      expect(actions, action).toContain(action);
    }
    expect(JSON.stringify(all)).not.toContain('very-secret-value-123');
    expect(all.find((e) => e.action === 'secret.set')).toMatchObject({
      actor: { kind: 'user', id: owner.profile.user.id, email: ADMIN.email },
      target: { kind: 'secret', id: 'CRM_TOKEN' },
      data: { name: 'CRM_TOKEN', created: true },
    });
    expect(all.find((e) => e.action === 'automation.rolled_back')).toMatchObject({
      target: { kind: 'automation', id: automationId },
      data: { version: 1, apiKeyId: expect.any(String) },
    });
    // Entries of the other workspaces stay there.
    expect(all.some((e) => e.action === 'workspace.renamed')).toBe(false);
  });

  it('filters by actor, action or kind, target and time, and refuses bad filters with a 400 naming them', async () => {
    const alice = (await owner.call('GET', '/api/v1/members')).body.items.find(
      (m: { email: string }) => m.email === 'alice@team.test',
    );
    const byAlice = await list(owner, `?actorId=${alice.userId}`);
    expect(byAlice.body.items.length).toBeGreaterThan(0);
    expect(byAlice.body.items.every((e: { actor: { id: string } }) => e.actor.id === alice.userId)).toBe(
      true,
    );

    const secrets = await list(owner, '?action=secret.set');
    expect(secrets.body.items.every((e: { action: string }) => e.action === 'secret.set')).toBe(true);
    const members = await list(owner, '?action=member.*');
    expect(new Set(members.body.items.map((e: { action: string }) => e.action.split('.')[0]))).toEqual(
      new Set(['member']),
    );

    const target = await list(owner, `?targetKind=automation&targetId=${automationId}`);
    expect(target.body.items.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['automation.deployed', 'automation.rolled_back']),
    );
    const future = await list(owner, `?createdFrom=${new Date(Date.now() + 3600_000).toISOString()}`);
    expect(future.body).toEqual({ items: [], nextCursor: null });
    const past = await list(owner, '?createdTo=2000-01-01');
    expect(past.body.items).toEqual([]);

    for (const query of [
      '?createdFrom=99999-01-01',
      '?action=DROP TABLE',
      '?limit=0',
      '?cursor=bm9wZQ',
      '?colour=red',
    ]) {
      const answer = await list(owner, query);
      expect(answer.status, query).toBe(400);
      expect(answer.body.error.code, query).toMatch(/^(VALIDATION_FAILED|INVALID_CURSOR)$/);
    }
  });
});
