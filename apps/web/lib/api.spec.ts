import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, serializeQuery, setCsrfToken, setUnauthenticatedHandler } from './api';

const ORIGIN = 'http://dashboard.test';

function answer(status: number, body: string) {
  return vi.fn(
    async (_request: Request) =>
      new Response(body, { status, headers: { 'content-type': 'application/json' } }),
  );
}

/** The request the SDK client handed to fetch. */
function sent(fetchMock: ReturnType<typeof vi.fn>, index = 0): Request {
  return (fetchMock.mock.calls[index] as [Request])[0];
}

beforeEach(() => {
  // The client calls the page's own origin (the web server forwards /api/v1 to the API).
  vi.stubGlobal('location', { origin: ORIGIN });
});

afterEach(() => {
  vi.unstubAllGlobals();
  setCsrfToken(null);
  setUnauthenticatedHandler(null);
});

describe('api (the SDK client with the dashboard session)', () => {
  it('calls /api/v1 on the same origin with the session cookie and no token on reads', async () => {
    const fetchMock = answer(200, JSON.stringify({ items: [], nextCursor: null }));
    vi.stubGlobal('fetch', fetchMock);
    setCsrfToken('csrf-1');
    await expect(api.runs({ limit: 50 })).resolves.toEqual({ items: [], nextCursor: null });
    const request = sent(fetchMock);
    expect(request.url).toBe(`${ORIGIN}/api/v1/runs?limit=50`);
    expect(request.method).toBe('GET');
    expect(request.credentials).toBe('same-origin');
    expect(request.headers.get('x-csrf-token')).toBeNull();
  });

  it('sends the CSRF token on writes', async () => {
    const fetchMock = answer(202, JSON.stringify({ id: 'r1' }));
    vi.stubGlobal('fetch', fetchMock);
    setCsrfToken('csrf-1');
    await api.startRun('a1', { x: 1 });
    const request = sent(fetchMock);
    expect(request.url).toBe(`${ORIGIN}/api/v1/automations/a1/runs`);
    expect(request.method).toBe('POST');
    expect(request.headers.get('x-csrf-token')).toBe('csrf-1');
    expect(await request.text()).toBe(JSON.stringify({ input: { x: 1 } }));
  });

  it('refreshes a stale CSRF token from /me once and retries the write', async () => {
    const fetchMock = vi.fn(async (request: Request) => {
      if (request.url.endsWith('/api/v1/me')) {
        return Response.json({ user: {}, workspace: {}, permissions: [], csrfToken: 'csrf-2' });
      }
      return request.headers.get('x-csrf-token') === 'csrf-2'
        ? new Response(null, { status: 204 })
        : Response.json({ error: { code: 'CSRF_TOKEN_INVALID', message: 'stale token' } }, { status: 403 });
    });
    vi.stubGlobal('fetch', fetchMock);
    setCsrfToken('csrf-1');
    await expect(api.deleteSecret('X')).resolves.toBeUndefined();
    expect(fetchMock).toHaveBeenCalledTimes(3);
    expect(sent(fetchMock, 2).headers.get('x-csrf-token')).toBe('csrf-2');
  });

  it('leaves out empty query values', () => {
    expect(serializeQuery({ limit: 10, cursor: 'abc', status: '', automationId: undefined })).toBe(
      'limit=10&cursor=abc',
    );
  });

  it('turns the error envelope into an ApiError and reports a 401 as the end of the session', async () => {
    vi.stubGlobal(
      'fetch',
      answer(
        401,
        JSON.stringify({ error: { code: 'UNAUTHENTICATED', message: 'sign in first', details: null } }),
      ),
    );
    const ended = vi.fn();
    setUnauthenticatedHandler(ended);
    const error = await api.runs().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', message: 'sign in first' });
    expect(ended).toHaveBeenCalledOnce();
  });

  it('does not end the session on a wrong password', async () => {
    vi.stubGlobal(
      'fetch',
      answer(
        401,
        JSON.stringify({ error: { code: 'INVALID_CREDENTIALS', message: 'the email or password is wrong' } }),
      ),
    );
    const ended = vi.fn();
    setUnauthenticatedHandler(ended);
    await expect(api.login('a@b.c', 'x')).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(ended).not.toHaveBeenCalled();
  });

  it('answers undefined for 204', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response(null, { status: 204 })),
    );
    await expect(api.deleteSecret('X')).resolves.toBeUndefined();
  });

  it('reports an API that does not answer (the proxy returns a bare 500)', async () => {
    vi.stubGlobal('fetch', answer(500, 'Internal Server Error'));
    await expect(api.runs()).rejects.toMatchObject({ status: 500, code: 'API_UNAVAILABLE' });
  });

  it('reports an answer that is not JSON', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(
        async () => new Response('<html></html>', { status: 200, headers: { 'content-type': 'text/html' } }),
      ),
    );
    await expect(api.runs()).rejects.toMatchObject({ status: 200, code: 'BAD_RESPONSE' });
  });

  it('reports a network failure', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))),
    );
    await expect(api.runs()).rejects.toMatchObject({ status: 0, code: 'NETWORK_ERROR' });
  });

  it('passes an abort through as an abort (react-query cancels with it)', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => Promise.reject(new DOMException('aborted', 'AbortError'))),
    );
    await expect(api.runs()).rejects.toMatchObject({ name: 'AbortError' });
  });
});
