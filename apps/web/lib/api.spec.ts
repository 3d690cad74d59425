import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, apiRequest, buildPath, setCsrfToken, setUnauthenticatedHandler } from './api';

function answer(status: number, body: string) {
  return vi.fn(async () => new Response(body, { status, headers: { 'content-type': 'application/json' } }));
}

afterEach(() => {
  vi.unstubAllGlobals();
  setCsrfToken(null);
  setUnauthenticatedHandler(null);
});

describe('apiRequest', () => {
  it('calls /api/v1 on the same origin with the session cookie and no token on reads', async () => {
    const fetchMock = answer(200, JSON.stringify({ items: [], nextCursor: null }));
    vi.stubGlobal('fetch', fetchMock);
    setCsrfToken('csrf-1');
    await expect(api.runs({ limit: 50 })).resolves.toEqual({ items: [], nextCursor: null });
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/v1/runs?limit=50');
    expect(init.credentials).toBe('same-origin');
    expect((init.headers as Record<string, string>)['x-csrf-token']).toBeUndefined();
  });

  it('sends the CSRF token on writes', async () => {
    const fetchMock = answer(202, JSON.stringify({ id: 'r1' }));
    vi.stubGlobal('fetch', fetchMock);
    setCsrfToken('csrf-1');
    await api.startRun('a1', { x: 1 });
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/v1/automations/a1/runs');
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>)['x-csrf-token']).toBe('csrf-1');
    expect(init.body).toBe(JSON.stringify({ input: { x: 1 } }));
  });

  it('leaves out empty query values', () => {
    expect(buildPath('/runs', { limit: 10, cursor: 'abc', status: '', automationId: undefined })).toBe(
      '/api/v1/runs?limit=10&cursor=abc',
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
    const error = await apiRequest('/runs').catch((err: unknown) => err);
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

  it('reports a network failure', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))),
    );
    await expect(api.runs()).rejects.toMatchObject({ status: 0, code: 'NETWORK_ERROR' });
  });
});
