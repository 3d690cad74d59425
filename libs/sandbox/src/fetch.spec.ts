import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMemoryHost } from './memory-host';
import { Sandbox } from './sandbox';
import { readBody, request, script, startServer, type TestServer } from './spec-helpers';

let server: TestServer;
let other: TestServer;
/** Requests to /hang whose connection the client closed; a waiter for the next one to arrive. */
let hangsClosed = 0;
let onHang: (() => void) | undefined;
let sandbox: Sandbox;
let hosts: string[];

beforeAll(async () => {
  other = await startServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        server: 'other',
        authorization: req.headers.authorization ?? null,
        cookie: req.headers.cookie ?? null,
      }),
    );
  });
  server = await startServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/json':
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.setHeader('x-request-id', 'abc');
        res.end(JSON.stringify({ hello: 'world', q: url.searchParams.get('q') }));
        return;
      case '/echo':
        void readBody(req).then((body) => {
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({
              method: req.method,
              body,
              type: req.headers['content-type'] ?? null,
              host: req.headers.host,
              custom: req.headers['x-custom'] ?? null,
            }),
          );
        });
        return;
      case '/missing':
        res.statusCode = 404;
        res.end('not here');
        return;
      case '/redirect':
        res.statusCode = 302;
        res.setHeader('location', '/json?q=redirected');
        res.end();
        return;
      case '/loop':
        res.statusCode = 302;
        res.setHeader('location', '/loop');
        res.end();
        return;
      case '/to-other':
        res.statusCode = 307;
        res.setHeader('location', `${other.url}/`);
        res.end();
        return;
      case '/hang':
        res.on('close', () => hangsClosed++);
        onHang?.();
        return;
      case '/big':
        res.end('x'.repeat(5000));
        return;
      case '/gzip':
        res.setHeader('content-encoding', 'gzip');
        res.end(gzipSync('compressed text'));
        return;
      case '/gzip-bomb':
        res.setHeader('content-encoding', 'gzip');
        res.end(gzipSync(Buffer.alloc(20 * 1024 * 1024)));
        return;
      case '/latin1':
        res.setHeader('content-type', 'text/plain; charset=iso-8859-1');
        res.end(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
        return;
      default:
        res.statusCode = 500;
        res.end('unexpected path');
    }
  });
  hosts = [`127.0.0.1:${server.port}`, `api.test:${server.port}`, `127.0.0.1:${other.port}`];
  sandbox = new Sandbox({
    poolSize: 2,
    allowPrivateNetwork: true,
    fetchTimeoutMs: 300,
    maxResponseBytes: 1_000_000,
    lookup: async (hostname) => {
      if (hostname === 'api.test') return [{ address: '127.0.0.1', family: 4 }];
      throw Object.assign(new Error(`no such host ${hostname}`), { code: 'ENOTFOUND' });
    },
  });
});

afterAll(async () => {
  await sandbox.close();
  await server.close();
  await other.close();
});

describe('ctx.fetch', () => {
  it('returns a Response-like object built inside the isolate, and records the exchange', async () => {
    const result = await sandbox.runAttempt(
      request(
        script(`
          const res = await ctx.fetch('http://api.test:${server.port}/json?q=1');
          const body = await res.json();
          return { ok: res.ok, status: res.status, statusText: res.statusText, type: res.headers.get('Content-Type'),
                   id: res.headers['x-request-id'], none: res.headers.get('x-nope'), has: res.headers.has('x-request-id'),
                   body, text: await res.text(), url: res.url, redirected: res.redirected, realm: body.constructor === Object };
        `),
        { hosts },
      ),
    );
    expect(result.status).toBe('succeeded');
    expect(result.output).toEqual({
      ok: true,
      status: 200,
      statusText: 'OK',
      type: 'application/json; charset=utf-8',
      id: 'abc',
      none: null,
      has: true,
      body: { hello: 'world', q: '1' },
      text: '{"hello":"world","q":"1"}',
      url: `http://api.test:${server.port}/json?q=1`,
      redirected: false,
      realm: true,
    });
    const record = result.recording.calls[2];
    expect(record).toMatchObject({
      kind: 'fetch',
      request: { method: 'GET', url: `http://api.test:${server.port}/json?q=1` },
      response: { status: 200, statusText: 'OK', body: '{"hello":"world","q":"1"}' },
    });
    expect(result.cost.fetches).toBe(1);
  });

  it('sends method, body and headers, but not a forged Host header', async () => {
    const result = await sandbox.runAttempt(
      request(
        script(`
          const res = await ctx.fetch('${server.url}/echo', { method: 'post', body: JSON.stringify({ a: 1 }),
            headers: { 'Content-Type': 'application/json', 'X-Custom': 'yes', Host: 'evil.example' } });
          return res.json();
        `),
        { hosts },
      ),
    );
    expect(result.output).toEqual({
      method: 'POST',
      body: '{"a":1}',
      type: 'application/json',
      host: `127.0.0.1:${server.port}`,
      custom: 'yes',
    });
  });

  it('returns HTTP errors as responses, not exceptions', async () => {
    const result = await sandbox.runAttempt(
      request(
        script(
          `const res = await ctx.fetch('${server.url}/missing'); return [res.ok, res.status, await res.text()];`,
        ),
        { hosts },
      ),
    );
    expect(result.output).toEqual([false, 404, 'not here']);
  });

  it('follows redirects, or not, as asked', async () => {
    const result = await sandbox.runAttempt(
      request(
        script(`
          const followed = await ctx.fetch('${server.url}/redirect');
          const manual = await ctx.fetch('${server.url}/redirect', { redirect: 'manual' });
          let refused; try { await ctx.fetch('${server.url}/redirect', { redirect: 'error' }); } catch (e) { refused = e.code; }
          let looped; try { await ctx.fetch('${server.url}/loop'); } catch (e) { looped = e.name + ' ' + e.code; }
          return { url: followed.url, redirected: followed.redirected, body: await followed.json(), manual: [manual.status, manual.headers.location], refused, looped };
        `),
        { hosts },
      ),
    );
    expect(result.output).toEqual({
      url: `${server.url}/json?q=redirected`,
      redirected: true,
      body: { hello: 'world', q: 'redirected' },
      manual: [302, '/json?q=redirected'],
      refused: 'REDIRECT_NOT_ALLOWED',
      looped: 'NetworkError TOO_MANY_REDIRECTS',
    });
  });

  it('drops credentials when a redirect leaves the origin', async () => {
    const result = await sandbox.runAttempt(
      request(
        script(
          `const res = await ctx.fetch('${server.url}/to-other', { headers: { authorization: 'Bearer t', cookie: 'c=1' } }); return res.json();`,
        ),
        {
          hosts,
        },
      ),
    );
    expect(result.output).toEqual({ server: 'other', authorization: null, cookie: null });
  });

  it('decodes gzip and declared charsets', async () => {
    const result = await sandbox.runAttempt(
      request(
        script(
          `return [await (await ctx.fetch('${server.url}/gzip')).text(), await (await ctx.fetch('${server.url}/latin1')).text()];`,
        ),
        { hosts },
      ),
    );
    expect(result.output).toEqual(['compressed text', 'café']);
  });

  it('refuses hosts the manifest does not list, before any network traffic, and fails the attempt', async () => {
    const before = server.hits.length;
    const result = await sandbox.runAttempt(
      request(
        script(
          `try { await ctx.fetch('http://127.0.0.1:${server.port}/json'); } catch (e) { return e.code; }`,
        ),
        { hosts: ['api.example.com'] },
      ),
    );
    expect(result.error).toMatchObject({ name: 'PolicyError', code: 'HOST_NOT_ALLOWED' });
    expect(result.error?.message).toMatch(/permissions\.hosts/);
    expect(server.hits.length).toBe(before);
    expect(result.recording.calls[2]).toMatchObject({ kind: 'fetch', error: { code: 'HOST_NOT_ALLOWED' } });
  });

  it('ends the attempt past maxFetches', async () => {
    const before = server.hits.length;
    const result = await sandbox.runAttempt(
      request(
        script(
          `for (let i = 0; i < 10; i++) { try { await ctx.fetch('${server.url}/json'); } catch (e) {} } return 'kept going';`,
        ),
        {
          hosts,
          limits: { maxFetches: 2 },
        },
      ),
    );
    expect(result.error).toMatchObject({ limit: 'fetches', code: 'FETCH_LIMIT' });
    expect(server.hits.length - before).toBe(2);
  });

  it('surfaces network failures with their codes, catchable by the script', async () => {
    const closed = await startServer(() => undefined);
    const closedUrl = closed.url;
    await closed.close();
    const result = await sandbox.runAttempt(
      request(
        script(`
          const codes = [];
          for (const url of ['${server.url}/hang', '${closedUrl}/', 'http://nowhere.test/']) {
            try { await ctx.fetch(url); codes.push('ok'); } catch (e) { codes.push(e.name + ' ' + e.code); }
          }
          return codes;
        `),
        { hosts: [...hosts, `127.0.0.1:${new URL(closedUrl).port}`, 'nowhere.test'] },
      ),
    );
    expect(result.output).toEqual([
      'NetworkError ETIMEDOUT',
      'NetworkError ECONNREFUSED',
      'NetworkError ENOTFOUND',
    ]);
    expect(
      result.recording.calls
        .filter((c) => c.kind === 'fetch')
        .map((c) => (c.kind === 'fetch' ? c.error?.code : '')),
    ).toEqual(['ETIMEDOUT', 'ECONNREFUSED', 'ENOTFOUND']);
  });

  it('bounds the response size, after decompression', async () => {
    const small = new Sandbox({ poolSize: 1, allowPrivateNetwork: true, maxResponseBytes: 1000 });
    try {
      const result = await small.runAttempt(
        request(
          script(`
            const codes = [];
            for (const path of ['/big', '/gzip-bomb']) { try { await ctx.fetch('${server.url}' + path); } catch (e) { codes.push(e.code); } }
            return codes;
          `),
          { hosts },
        ),
      );
      expect(result.output).toEqual(['RESPONSE_TOO_LARGE', 'RESPONSE_TOO_LARGE']);
    } finally {
      await small.close();
    }
  });

  it('validates the request inside the isolate', async () => {
    const result = await sandbox.runAttempt(
      request(
        script(`
          const errors = [];
          for (const args of [[42], ['${server.url}/echo', { body: { a: 1 } }], ['${server.url}/echo', { redirect: 'sometimes' }], ['not a url'], ['${server.url}/echo', { method: 'CONNECT' }]]) {
            try { await ctx.fetch(...args); errors.push('ok'); } catch (e) { errors.push(e.name + (e.code ? ' ' + e.code : '')); }
          }
          return errors;
        `),
        { hosts },
      ),
    );
    expect(result.output).toEqual([
      'TypeError INVALID_REQUEST',
      'TypeError INVALID_REQUEST',
      'TypeError INVALID_REQUEST',
      'TypeError INVALID_URL',
      'TypeError INVALID_REQUEST',
    ]);
  });

  it('aborts fetches still running when the attempt ends', { timeout: 30_000 }, async () => {
    // A fetch timeout far beyond any wait here: only the end of the attempt can close the request,
    // so the assertion holds however slow the machine is. The script returns once the server has
    // the request (the host's kv.get waits for it), so there is a live request to abort.
    const patient = new Sandbox({ poolSize: 1, allowPrivateNetwork: true, fetchTimeoutMs: 120_000 });
    const arrived = new Promise<void>((resolve) => (onHang = resolve));
    const host = { ...createMemoryHost(), kv: { ...createMemoryHost().kv, get: () => arrived } };
    try {
      const before = hangsClosed;
      const result = await patient.runAttempt(
        request(
          script(
            `ctx.fetch('${server.url}/hang').catch(() => {}); await ctx.kv.get('arrived'); return 'returned';`,
          ),
          { hosts, host },
        ),
      );
      expect(result).toMatchObject({ status: 'succeeded', output: 'returned' });
      await vi.waitFor(() => expect(hangsClosed).toBe(before + 1), { timeout: 10_000 });
      const next = await patient.runAttempt(request(script('return 1;')));
      expect(next.output).toBe(1);
    } finally {
      await patient.close();
    }
  });
});
