import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, type ApiResponse, apiClient } from './support/client';
import { connectLive, pause } from './support/live';
import { ADMIN, BOOTSTRAP_KEY, type Stack, startStack } from './support/stack';
import { createWorkspace, type TestWorkspace } from './support/workspaces';

// Dashboard sign-in (cookie session with CSRF protection) and API keys, over HTTP against the real API.

let stack: Stack;
let api: Api;
let other: TestWorkspace;

interface Answer extends ApiResponse {
  headers: Headers;
}

/** Raw HTTP: no API key, optional cookie and headers, and the response headers kept. */
async function http(
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const response = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: {
      ...(options.body !== undefined && { 'content-type': 'application/json' }),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

async function login(email = ADMIN.email, password = ADMIN.password, headers: Record<string, string> = {}) {
  const answer = await http('POST', '/api/v1/auth/login', { body: { email, password }, headers });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  const setCookie = answer.headers.getSetCookie().find((c) => c.startsWith('mf_session='));
  expect(setCookie).toBeDefined();
  const cookie = setCookie!.split(';')[0]!;
  return { cookie, setCookie: setCookie!, csrfToken: answer.body.csrfToken as string, body: answer.body };
}

beforeAll(async () => {
  // The tests stand in for a proxy on loopback (X-Forwarded-Proto, X-Forwarded-For), so the API trusts it.
  stack = await startStack('session', { redisDb: 12, worker: false, apiEnv: { TRUST_PROXY: 'loopback' } });
  api = apiClient(stack.apiUrl);
  other = await createWorkspace(stack.apiUrl, 'Session other');
});

afterAll(async () => {
  await stack?.stop();
});

describe('dashboard sign-in', () => {
  it('refuses a wrong password and an unknown email with the same 401', async () => {
    const wrong = await http('POST', '/api/v1/auth/login', {
      body: { email: ADMIN.email, password: 'not the password' },
    });
    const unknown = await http('POST', '/api/v1/auth/login', {
      body: { email: 'nobody@e2e.test', password: 'not the password' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({
      error: { code: 'INVALID_CREDENTIALS', message: 'the email or password is wrong' },
    });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.headers.getSetCookie()).toEqual([]);
  });

  it('names the bad field of a malformed sign-in', async () => {
    const missing = await http('POST', '/api/v1/auth/login', { body: { email: ADMIN.email } });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('password'),
    });
  });

  it('signs in with an httpOnly SameSite=Lax session cookie and answers /me with user, workspace and CSRF token', async () => {
    const session = await login(ADMIN.email.toUpperCase());
    expect(session.body).toEqual({
      user: { id: expect.any(String), email: ADMIN.email, role: 'owner' },
      workspace: { id: expect.any(String), name: 'Default workspace' },
      permissions: expect.arrayContaining(['workspace:read', 'members:manage', 'workspace:manage']),
      csrfToken: expect.stringMatching(/^[\w-]{43}$/),
    });
    expect(session.setCookie).toMatch(/; HttpOnly/);
    expect(session.setCookie).toMatch(/; SameSite=Lax/);
    expect(session.setCookie).toMatch(/; Path=\//);
    expect(session.setCookie).toMatch(/; Max-Age=604800/);
    expect(session.setCookie).not.toMatch(/; Secure/);

    const me = await http('GET', '/api/v1/me', { headers: { cookie: session.cookie } });
    expect(me.status).toBe(200);
    expect(me.body).toEqual(session.body);

    const withKey = await api('GET', '/api/v1/me');
    expect(withKey.status).toBe(200);
    expect(withKey.body).toEqual({
      user: session.body.user,
      workspace: session.body.workspace,
      permissions: session.body.permissions,
    });
  });

  it('marks the cookie Secure when the request came over https (through a trusted proxy)', async () => {
    const session = await login(ADMIN.email, ADMIN.password, { 'x-forwarded-proto': 'https' });
    expect(session.setCookie).toMatch(/; Secure/);
  });

  it('requires the CSRF token on a cookie-authenticated write, but not on an API-key one', async () => {
    const { cookie, csrfToken } = await login();
    const body = { name: 'from the dashboard' };
    const without = await http('POST', '/api/v1/api-keys', { body, headers: { cookie } });
    expect(without.status).toBe(403);
    expect(without.body.error.code).toBe('CSRF_TOKEN_INVALID');
    const wrong = await http('POST', '/api/v1/api-keys', {
      body,
      headers: { cookie, 'x-csrf-token': `${csrfToken}x` },
    });
    expect(wrong.status).toBe(403);
    const right = await http('POST', '/api/v1/api-keys', {
      body,
      headers: { cookie, 'x-csrf-token': csrfToken },
    });
    expect(right.status).toBe(201);
    // Reads need no token.
    expect((await http('GET', '/api/v1/api-keys', { headers: { cookie } })).status).toBe(200);
    // A Bearer request is exempt, even when a cookie rides along.
    const bearer = await http('POST', '/api/v1/api-keys', {
      body,
      headers: { cookie, authorization: `Bearer ${BOOTSTRAP_KEY}` },
    });
    expect(bearer.status).toBe(201);
    // Another session's token does not do.
    const otherSession = await login();
    const crossed = await http('POST', '/api/v1/api-keys', {
      body,
      headers: { cookie, 'x-csrf-token': otherSession.csrfToken },
    });
    expect(crossed.status).toBe(403);
  });

  it('signs out: the session stops working at once, its cookie is cleared and its live connections close', async () => {
    const { cookie, csrfToken } = await login();
    const live = await connectLive(stack.apiUrl, { headers: { cookie } });
    expect(await live.subscribe({ workspace: true })).toEqual({ ok: true });
    const disconnected = new Promise<string>((resolve) => live.socket.once('disconnect', resolve));

    expect((await http('POST', '/api/v1/auth/logout', { headers: { cookie } })).status).toBe(403); // CSRF applies
    const out = await http('POST', '/api/v1/auth/logout', { headers: { cookie, 'x-csrf-token': csrfToken } });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().join()).toMatch(/mf_session=;.*Expires=Thu, 01 Jan 1970/);
    expect(await disconnected).toBe('io server disconnect');

    const me = await http('GET', '/api/v1/me', { headers: { cookie } });
    expect(me.status).toBe(401);
    expect(me.body.error.code).toBe('UNAUTHENTICATED');
    expect(
      (await http('POST', '/api/v1/auth/logout', { headers: { cookie, 'x-csrf-token': csrfToken } })).status,
    ).toBe(401);
    await expect(connectLive(stack.apiUrl, { headers: { cookie } })).rejects.toMatchObject({
      data: { code: 'UNAUTHENTICATED' },
    });
  });

  it('accepts a session on the live socket only from a page of its own origin', async () => {
    const { cookie } = await login();
    const host = new URL(stack.apiUrl).host;
    const own = await connectLive(stack.apiUrl, { headers: { cookie, origin: `http://${host}` } });
    own.close();
    const proxied = await connectLive(stack.apiUrl, {
      headers: { cookie, origin: 'https://mendflow.example', 'x-forwarded-host': 'mendflow.example' },
    });
    proxied.close();
    await expect(
      connectLive(stack.apiUrl, { headers: { cookie, origin: 'https://evil.example' } }),
    ).rejects.toMatchObject({
      data: { code: 'FORBIDDEN_ORIGIN' },
    });
  });

  it('slows password guessing: the 11th attempt in a minute for one email gets 429', async () => {
    // From a client of its own (behind the trusted loopback proxy), so earlier tests' failures do not count.
    const from = (address: string) => ({ 'x-forwarded-for': address });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const answer = await http('POST', '/api/v1/auth/login', {
        body: { email: 'target@e2e.test', password: `guess-${i}` },
        headers: from('198.51.100.1'),
      });
      statuses.push(answer.status);
      if (answer.status === 429) {
        expect(answer.body.error.code).toBe('RATE_LIMITED');
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      }
    }
    expect(statuses.slice(0, 10).every((status) => status === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
    // Other accounts are not locked out by it, from another client; that client is (per address).
    const someone = { email: 'someone@e2e.test', password: 'x' };
    const elsewhere = await http('POST', '/api/v1/auth/login', {
      body: someone,
      headers: from('198.51.100.2'),
    });
    expect(elsewhere.status).toBe(401);
    const same = await http('POST', '/api/v1/auth/login', { body: someone, headers: from('198.51.100.1') });
    expect(same.status).toBe(429);
  });

  it('signs in the owner of another workspace into that workspace only', async () => {
    const { cookie, body } = await login(other.email, other.password);
    expect(body.workspace.id).toBe(other.workspaceId);
    const keys = await http('GET', '/api/v1/api-keys', { headers: { cookie } });
    expect(keys.body.items.map((k: { name: string }) => k.name)).toEqual(['e2e']);
  });
});

describe('API keys', () => {
  it('creates a key shown once, lists keys without it, and records its use', async () => {
    const created = await api('POST', '/api/v1/api-keys', { name: '  deploy bot  ' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      name: 'deploy bot',
      prefix: created.body.key.slice(0, 10),
      role: 'owner',
      createdBy: { id: expect.any(String), email: ADMIN.email },
      createdAt: expect.any(String),
      lastUsedAt: null,
      expiresAt: null,
      key: expect.stringMatching(/^mf_[\w-]{43}$/),
    });
    const list = await api('GET', '/api/v1/api-keys');
    const listed = list.body.items.find((k: { id: string }) => k.id === created.body.id);
    expect(listed).toEqual({
      id: created.body.id,
      name: 'deploy bot',
      prefix: created.body.prefix,
      role: 'owner',
      createdBy: created.body.createdBy,
      createdAt: created.body.createdAt,
      lastUsedAt: null,
      expiresAt: null,
    });
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);

    const asNewKey = apiClient(stack.apiUrl, created.body.key);
    expect((await asNewKey('GET', '/api/v1/me')).status).toBe(200);
    const deadline = Date.now() + 5000;
    let lastUsedAt: string | null = null;
    while (!lastUsedAt && Date.now() < deadline) {
      await pause(50);
      const again = await api('GET', '/api/v1/api-keys');
      lastUsedAt = again.body.items.find((k: { id: string }) => k.id === created.body.id).lastUsedAt;
    }
    expect(lastUsedAt).not.toBeNull();
  });

  it('revokes a key: it stops working at once (even one in use) and disappears from the list', async () => {
    const created = await api('POST', '/api/v1/api-keys', { name: 'short-lived' });
    const asKey = apiClient(stack.apiUrl, created.body.key);
    expect((await asKey('GET', '/api/v1/me')).status).toBe(200); // now cached by the API
    const revoked = await api('DELETE', `/api/v1/api-keys/${created.body.id}`);
    expect(revoked.status).toBe(204);
    expect(revoked.body).toBeNull();
    const refused = await asKey('GET', '/api/v1/me');
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('UNAUTHENTICATED');
    const list = await api('GET', '/api/v1/api-keys');
    expect(list.body.items.some((k: { id: string }) => k.id === created.body.id)).toBe(false);
    const again = await api('DELETE', `/api/v1/api-keys/${created.body.id}`);
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('API_KEY_NOT_FOUND');
  });

  it('answers 404 for a key of another workspace or an id that is not one, and 400 for a bad name', async () => {
    const foreign = await apiClient(stack.apiUrl, other.apiKey)('GET', '/api/v1/api-keys');
    const foreignId = foreign.body.items[0].id as string;
    const attempt = await api('DELETE', `/api/v1/api-keys/${foreignId}`);
    expect(attempt.status).toBe(404);
    expect(attempt.body.error.code).toBe('API_KEY_NOT_FOUND');
    expect((await apiClient(stack.apiUrl, other.apiKey)('GET', '/api/v1/me')).status).toBe(200);
    expect((await api('DELETE', '/api/v1/api-keys/not-an-id')).body.error.code).toBe('API_KEY_NOT_FOUND');
    const bad = await api('POST', '/api/v1/api-keys', { name: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('name'),
    });
    expect((await api('POST', '/api/v1/api-keys', { name: 'x', scopes: [] })).status).toBe(400);
  });

  it('requires a credential', async () => {
    const anonymous = await http('GET', '/api/v1/api-keys');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('UNAUTHENTICATED');
  });
});
