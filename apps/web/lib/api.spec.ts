import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, listRuns } from './api';

function answer(status: number, body: string) {
  return vi.fn(async () => new Response(body, { status, headers: { 'content-type': 'application/json' } }));
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('listRuns', () => {
  it('calls /api/v1/runs on the same origin with the key as a bearer token', async () => {
    const fetchMock = answer(200, JSON.stringify({ items: [], nextCursor: null }));
    vi.stubGlobal('fetch', fetchMock);
    await expect(listRuns('k'.repeat(24), { limit: 50 })).resolves.toEqual({ items: [], nextCursor: null });
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/v1/runs?limit=50');
    expect((init.headers as Record<string, string>).authorization).toBe(`Bearer ${'k'.repeat(24)}`);
  });

  it('passes the cursor and filters when given', async () => {
    const fetchMock = answer(200, JSON.stringify({ items: [], nextCursor: null }));
    vi.stubGlobal('fetch', fetchMock);
    await listRuns('key', { limit: 10, cursor: 'abc', status: 'failed' });
    expect((fetchMock.mock.calls[0] as unknown as [string])[0]).toBe('/api/v1/runs?limit=10&cursor=abc&status=failed');
  });

  it('turns the error envelope into an ApiError; 401 means the key was rejected', async () => {
    vi.stubGlobal(
      'fetch',
      answer(401, JSON.stringify({ error: { code: 'UNAUTHENTICATED', message: 'invalid API key', details: null } })),
    );
    const error = await listRuns('bad').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', message: 'invalid API key' });
    expect((error as ApiError).isUnauthenticated).toBe(true);
  });

  it('reports an API that does not answer (the proxy returns a bare 500)', async () => {
    vi.stubGlobal('fetch', answer(500, 'Internal Server Error'));
    await expect(listRuns('key')).rejects.toMatchObject({ status: 500, code: 'API_UNAVAILABLE' });
  });

  it('reports a network failure', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    await expect(listRuns('key')).rejects.toMatchObject({ status: 0, code: 'NETWORK_ERROR' });
  });
});
