/**
 * Host-call arguments, through the real isolate: for every host operation, NUL bytes, lone surrogates,
 * oversize values and oversize names end in a clear error with a stable code that the script can
 * catch (or that ends the attempt), nothing of the call is stored or sent, and everything the attempt
 * hands back is storable in PostgreSQL. A 64 MiB string passed to host calls again and again, one at a
 * time or all at once, never reaches the host's memory.
 */
import { findUnstorable } from '@mendflow/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_CALL_BOUNDS } from './limits';
import { createMemoryHost, type MemoryHost } from './memory-host';
import { Sandbox } from './sandbox';
import { type ManifestOverrides, request, script, startServer, type TestServer } from './spec-helpers';
import type { AttemptResult, HostServices } from './types';

let sandbox: Sandbox;
let server: TestServer;
/** Small bodies the server received at /sink, as bytes. */
const received: Buffer[] = [];

beforeAll(async () => {
  server = await startServer((req, res) => {
    if (req.url === '/nul') {
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.end('before\u0000after');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (body.length <= 1024) received.push(body);
      res.end(String(body.length));
    });
  });
  sandbox = new Sandbox({
    poolSize: 1,
    allowPrivateNetwork: true,
    lookup: async (hostname) => {
      if (hostname === 'api.test') return [{ address: '127.0.0.1', family: 4 }];
      throw Object.assign(new Error(`no such host ${hostname}`), { code: 'ENOTFOUND' });
    },
  });
});

afterAll(async () => {
  await sandbox.close();
  await server.close();
});

const url = (path = '/sink') => `http://api.test:${server.port}${path}`;
const hosts = () => [`api.test:${server.port}`];

/** Everything the worker stores of an attempt must be storable, at any depth. */
function expectStorable(result: AttemptResult): void {
  expect(findUnstorable(result, 1000)).toBeUndefined();
}

/** Runs one expression using ctx and returns what the script caught (or { ok: true }). */
async function caught(
  expression: string,
  options: { host?: HostServices; limits?: ManifestOverrides['limits'] } = {},
) {
  const result = await sandbox.runAttempt(
    request(
      script(`
        try { await ${expression}; return { ok: true }; }
        catch (e) { return { name: e.name, code: e.code, message: e.message }; }
      `),
      { hosts: hosts(), secrets: ['API_KEY'], ...options },
    ),
  );
  expectStorable(result);
  expect(result.status).toBe('succeeded');
  return result.output as { ok?: true; name?: string; code?: string; message?: string };
}

// Written as they appear in the script's source: '\\u0000' is a NUL inside the script.
const NUL = '\\u0000';
const LONE = '\\ud800';

describe('characters PostgreSQL cannot store', () => {
  it.each([
    [
      'a secret name with a NUL',
      `ctx.secrets.get('API${NUL}KEY')`,
      /ctx\.secrets\.get: the name contains a NUL character \(U\+0000\)/,
    ],
    [
      'a secret name with a lone surrogate',
      `ctx.secrets.get('API${LONE}')`,
      /the name contains a lone UTF-16 surrogate/,
    ],
    ['a kv.get key with a NUL', `ctx.kv.get('a${NUL}b')`, /ctx\.kv\.get: the key contains a NUL/],
    ['a kv.get key with a lone surrogate', `ctx.kv.get('${LONE}')`, /ctx\.kv\.get: the key contains a lone/],
    ['a kv.set key with a NUL', `ctx.kv.set('a${NUL}', 1)`, /ctx\.kv\.set: the key contains a NUL/],
    [
      'a kv.set value with a NUL',
      `ctx.kv.set('k', { deep: ['ok', 'x${NUL}'] })`,
      /ctx\.kv\.set: the value contains a NUL character \(U\+0000\) at \$\.deep\[1\]/,
    ],
    [
      'a kv.set value key with a lone surrogate',
      `ctx.kv.set('k', { ['k${LONE}']: 1 })`,
      /the value contains a lone UTF-16 surrogate \(half of a surrogate pair\) at \$\["k\\ud800"\]/,
    ],
    ['a kv.delete key with a NUL', `ctx.kv.delete('${NUL}')`, /ctx\.kv\.delete: the key contains a NUL/],
    ['a step name with a NUL', `ctx.step('s${NUL}', () => 1)`, /ctx\.step: the name contains a NUL/],
    [
      'a step result with a NUL',
      `ctx.step('s', () => ({ v: 'x${NUL}' }))`,
      /ctx\.step\("s"\): the result contains a NUL character \(U\+0000\) at \$\.v/,
    ],
    [
      'a step result key with a lone surrogate',
      `ctx.step('s', () => [{ ['${LONE}']: 1 }])`,
      /ctx\.step\("s"\): the result contains a lone/,
    ],
    ['a fetch URL with a NUL', `ctx.fetch('${'URL'}a${NUL}')`, /ctx\.fetch: the URL contains a NUL/],
    [
      'a fetch URL with a lone surrogate',
      `ctx.fetch('${'URL'}${LONE}')`,
      /ctx\.fetch: the URL contains a lone/,
    ],
    [
      'a fetch method with a NUL',
      `ctx.fetch('${'URL'}', { method: 'GE${NUL}T' })`,
      /ctx\.fetch: init\.method contains a NUL/,
    ],
    [
      'a header name with a NUL',
      `ctx.fetch('${'URL'}', { headers: { 'x-a${NUL}': '1' } })`,
      /ctx\.fetch: a header name contains a NUL/,
    ],
    [
      'a header value with a lone surrogate',
      `ctx.fetch('${'URL'}', { headers: [['x-a', 'v${LONE}']] })`,
      /ctx\.fetch: a header value contains a lone/,
    ],
  ])(
    'refuses %s inside the script (INVALID_CHARACTERS), storing and sending nothing',
    async (_label, expression, message) => {
      const host = createMemoryHost({ secrets: { API_KEY: 'k' } });
      const hits = server.hits.length;
      const output = await caught(expression.replaceAll("'URL", `'${url()}`), { host });
      expect(output).toMatchObject({ name: 'TypeError', code: 'INVALID_CHARACTERS', message });
      expect(output.message).toMatch(/which cannot be stored$/);
      expect(host.kvStore.size).toBe(0);
      expect(host.stepStore.size).toBe(0);
      expect(server.hits.length).toBe(hits);
    },
  );

  it('ends the attempt with the clear error when the script does not catch it, and no run is left hanging', async () => {
    const result = await sandbox.runAttempt(request(script(`await ctx.kv.get('a${NUL}b'); return 1;`)));
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({
      name: 'TypeError',
      code: 'INVALID_CHARACTERS',
      message: 'ctx.kv.get: the key contains a NUL character (U+0000), which cannot be stored',
      location: expect.stringMatching(/^script\.js:/),
    });
    expect(result.recording.calls.map((c) => c.kind)).toEqual(['time', 'random']);
    expectStorable(result);
  });

  it('sends a fetch body as it is: bodies are sent, never stored', async () => {
    const output = await caught(`ctx.fetch('${url()}', { method: 'POST', body: 'a${NUL}b' })`);
    expect(output).toEqual({ ok: true });
    expect(received.at(-1)).toEqual(Buffer.from('a\u0000b'));
  });
});

describe('what the attempt hands back is storable', () => {
  it.each([
    ['a NUL in a returned string', `return 'a${NUL}b';`, 'a NUL character (U+0000) at $'],
    [
      'a NUL deep in the result',
      `return { rows: [{ name: 'x${NUL}' }] };`,
      'a NUL character (U+0000) at $.rows[0].name',
    ],
    [
      'a lone surrogate in a key',
      `return { ['k${LONE}']: 1 };`,
      'a lone UTF-16 surrogate (half of a surrogate pair) at $["k\\ud800"]',
    ],
  ])('fails the attempt clearly for %s (its exact value matters)', async (_label, body, what) => {
    const result = await sandbox.runAttempt(request(script(body)));
    expect(result.status).toBe('failed');
    expect(result.error).toEqual({
      name: 'TypeError',
      code: 'INVALID_CHARACTERS',
      message: `The result contains ${what}, which cannot be stored`,
    });
    expect(result).not.toHaveProperty('output');
    expectStorable(result);
  });

  it('replaces NUL and lone surrogates with U+FFFD in display text: logs, errors, recorded responses', async () => {
    const result = await sandbox.runAttempt(
      request(
        script(`
          console.log('a${NUL}b', '${LONE}');
          ctx.log.info('m${NUL}', { ['k${NUL}']: ['v\\udfff'] });
          const res = await ctx.fetch('${url('/nul')}');
          const text = await res.text();
          throw new Error('saw ' + JSON.stringify(text.includes('\\0')) + ' ${NUL}${LONE}');
        `),
        { hosts: hosts(), limits: { maxLogBytes: 8192 } },
      ),
    );
    expectStorable(result);
    expect(result.logs.slice(0, 2)).toMatchObject([
      { level: 'info', message: 'a\ufffdb \ufffd' },
      { level: 'info', message: 'm\ufffd', data: { 'k\ufffd': ['v\ufffd'] } },
    ]);
    // The script saw the real body; the recording keeps U+FFFD in its place.
    expect(result.error).toMatchObject({ name: 'Error', message: 'saw true \ufffd\ufffd' });
    expect(result.error?.stack).toMatch(/^Error: saw true \ufffd\ufffd\n/);
    const fetched = result.recording.calls.find((c) => c.kind === 'fetch');
    expect(fetched).toMatchObject({ response: { status: 200, body: 'before\ufffdafter' } });
  });

  it('mends a surrogate pair cut in half where a long error message is truncated', async () => {
    const result = await sandbox.runAttempt(request(script(`throw new Error('a' + '😀'.repeat(5000));`)));
    expectStorable(result);
    expect(result.error?.message).toHaveLength(4000);
    expect(result.error?.message.endsWith('😀\ufffd')).toBe(true);
  });
});

describe('oversize names and values', () => {
  const bounds = HOST_CALL_BOUNDS;
  it.each([
    [
      'a secret name',
      `ctx.secrets.get('A'.repeat(${bounds.maxSecretNameLength + 1}))`,
      'NAME_TOO_LONG',
      /ctx\.secrets\.get\(name\): name is longer than 64 characters/,
    ],
    [
      'a kv.get key',
      `ctx.kv.get('k'.repeat(257))`,
      'NAME_TOO_LONG',
      /ctx\.kv\.get: key is longer than 256 characters/,
    ],
    ['a kv.set key', `ctx.kv.set('k'.repeat(257), 1)`, 'NAME_TOO_LONG', /ctx\.kv\.set: key is longer/],
    ['a kv.delete key', `ctx.kv.delete('k'.repeat(257))`, 'NAME_TOO_LONG', /ctx\.kv\.delete: key is longer/],
    [
      'a kv.set value',
      `ctx.kv.set('k', 'x'.repeat(70000))`,
      'KV_VALUE_TOO_LARGE',
      /The value for ctx\.kv\.set is larger than 65536 bytes/,
    ],
    [
      'a deeply nested kv.set value',
      `ctx.kv.set('k', JSON.parse('['.repeat(100) + ']'.repeat(100)))`,
      'VALUE_TOO_DEEP',
      /nested deeper than 64 levels/,
    ],
    [
      'a step name',
      `ctx.step('s'.repeat(201), () => 1)`,
      'NAME_TOO_LONG',
      /ctx\.step\(name, fn\): name is longer than 200 characters/,
    ],
    [
      'a step result',
      `ctx.step('s', () => 'x'.repeat(5000))`,
      'STEP_RESULT_TOO_LARGE',
      /The result of ctx\.step\("s"\) is larger than 4096 bytes/,
    ],
    [
      'a fetch URL',
      `ctx.fetch('URL?' + 'q'.repeat(${bounds.maxUrlChars}))`,
      'URL_TOO_LONG',
      /ctx\.fetch: the URL is longer than 8192 characters/,
    ],
    [
      'a fetch method',
      `ctx.fetch('URL', { method: 'X'.repeat(33) })`,
      'INVALID_REQUEST',
      /init\.method is longer than 32 characters/,
    ],
    [
      'a header name',
      `ctx.fetch('URL', { headers: { ['x'.repeat(257)]: '1' } })`,
      'HEADERS_TOO_LARGE',
      /a header name is longer than 256 characters/,
    ],
    [
      'a header value',
      `ctx.fetch('URL', { headers: { 'x-a': 'v'.repeat(8193) } })`,
      'HEADERS_TOO_LARGE',
      /the value of header "x-a" is longer than 8192/,
    ],
    [
      'the number of headers',
      `ctx.fetch('URL', { headers: Object.fromEntries(Array.from({ length: 101 }, (_, i) => ['x-' + i, '1'])) })`,
      'HEADERS_TOO_LARGE',
      /more than 100 headers/,
    ],
    [
      'the headers together',
      `ctx.fetch('URL', { headers: Array.from({ length: 5 }, (_, i) => ['x-' + i, 'v'.repeat(8000)]) })`,
      'HEADERS_TOO_LARGE',
      /longer than 32768 characters together/,
    ],
    [
      'a fetch body',
      `ctx.fetch('URL', { method: 'POST', body: 'b'.repeat(${bounds.maxFetchBodyChars + 1}) })`,
      'REQUEST_TOO_LARGE',
      /the request body is longer than 4194304 characters/,
    ],
    [
      'a fetch request as JSON',
      `ctx.fetch('URL', { method: 'POST', body: '\\u0001'.repeat(${bounds.maxFetchBodyChars}) })`,
      'REQUEST_TOO_LARGE',
      /the request is longer than 8388608 characters as JSON/,
    ],
  ])(
    'refuses %s over its bound inside the script, before anything is sent',
    async (_label, expression, code, message) => {
      const hits = server.hits.length;
      const output = await caught(expression.replaceAll("'URL", `'${url()}`), {
        limits: { maxResultBytes: 4096, memoryMb: 128 },
      });
      expect(output).toMatchObject({ code, message });
      expect(server.hits.length).toBe(hits);
    },
  );

  it('refuses wrong types with INVALID_REQUEST', async () => {
    for (const expression of [
      'ctx.secrets.get(42)',
      "ctx.kv.get('')",
      'ctx.kv.set(null, 1)',
      'ctx.step(1, () => 1)',
      "ctx.step('s', 1)",
      `ctx.fetch('${url()}', { headers: [1] })`,
    ]) {
      expect(await caught(expression)).toMatchObject({ name: 'TypeError', code: 'INVALID_REQUEST' });
    }
    expect(await caught("ctx.kv.set('k', () => 1)")).toMatchObject({ code: 'INVALID_VALUE' });
  });
});

describe('a 64 MiB string passed to host calls', () => {
  /** A host whose kv.get('baseline') marks the moment the script has built its string. */
  function measuringHost(): {
    host: MemoryHost;
    growth: () => { heap: number; rss: number };
    stop: () => void;
  } {
    const host = createMemoryHost({ secrets: { API_KEY: 'k' } });
    const read = () => {
      const m = process.memoryUsage();
      return { heap: m.heapUsed + m.external, rss: m.rss };
    };
    let base: { heap: number; rss: number } | undefined;
    const peak = { heap: 0, rss: 0 };
    const sample = () => {
      if (!base) return;
      const now = read();
      peak.heap = Math.max(peak.heap, now.heap - base.heap);
      peak.rss = Math.max(peak.rss, now.rss - base.rss);
    };
    const timer = setInterval(sample, 2);
    const get = host.kv.get;
    host.kv.get = async (key) => {
      if (key === 'baseline') base = read();
      return get(key);
    };
    return {
      host,
      growth: () => {
        sample();
        return peak;
      },
      stop: () => clearInterval(timer),
    };
  }

  /** Far below one copy of the string (64 MiB): nothing of it crossed into the host. */
  const MAX_GROWTH = 40 * 1024 * 1024;

  it.each([
    ['kv.set value', "ctx.kv.set('k', big)", 'KV_VALUE_TOO_LARGE'],
    ['kv.set key', 'ctx.kv.set(big, 1)', 'NAME_TOO_LONG'],
    ['kv.get key', 'ctx.kv.get(big)', 'NAME_TOO_LONG'],
    ['kv.delete key', 'ctx.kv.delete(big)', 'NAME_TOO_LONG'],
    ['secret name', 'ctx.secrets.get(big)', 'NAME_TOO_LONG'],
    ['step name', 'ctx.step(big, () => 1)', 'NAME_TOO_LONG'],
    ['step result', "ctx.step('s' + i, () => big)", 'STEP_RESULT_TOO_LARGE'],
    ['fetch URL', "ctx.fetch('URL?' + big)", 'URL_TOO_LONG'],
    ['fetch body', "ctx.fetch('URL', { method: 'POST', body: big })", 'REQUEST_TOO_LARGE'],
    ['fetch header value', "ctx.fetch('URL', { headers: { 'x-big': big } })", 'HEADERS_TOO_LARGE'],
    ['fetch header name', "ctx.fetch('URL', { headers: [[big, '1']] })", 'HEADERS_TOO_LARGE'],
    ['fetch method', "ctx.fetch('URL', { method: big })", 'INVALID_REQUEST'],
    ['ctx.log data', "ctx.log.info('m', big)", 'logged'],
  ])(
    'as a %s, 128 times in a loop and 128 at once, is refused in the isolate',
    { timeout: 60_000 },
    async (_label, expression, code) => {
      const measure = measuringHost();
      try {
        const call = expression.replaceAll("'URL", `'${url()}`);
        const result = await sandbox.runAttempt(
          request(
            script(`
              const big = 'x'.repeat(2 ** 26);
              big.indexOf('y'); // flat now, before the host takes its baseline
              await ctx.kv.get('baseline');
              const codes = new Set();
              for (let i = 0; i < 128; i++) {
                try { const r = await ${call}; codes.add(r === undefined ? 'logged' : 'answered'); } catch (e) { codes.add(e.code); }
              }
              const all = await Promise.allSettled(Array.from({ length: 128 }, async (_, i) => ${call}));
              for (const s of all) codes.add(s.status === 'fulfilled' ? (s.value === undefined ? 'logged' : 'answered') : s.reason.code);
              return [...codes];
            `),
            { host: measure.host, hosts: hosts(), secrets: ['API_KEY'], limits: { memoryMb: 512 } },
          ),
        );
        expect(result.error).toBeUndefined();
        expect(result.output).toEqual([code]);
        const growth = measure.growth();
        expect(growth.heap).toBeLessThan(MAX_GROWTH);
        expect(growth.rss).toBeLessThan(MAX_GROWTH);
        expectStorable(result);
      } finally {
        measure.stop();
      }
    },
  );

  it.each([
    ['console.log', 'console.log(big)'],
    ['ctx.log message', 'ctx.log.warn(big)'],
  ])('as a %s message, ends the attempt at the log limit without copying it', async (_label, call) => {
    const measure = measuringHost();
    try {
      const result = await sandbox.runAttempt(
        request(
          script(`
            const big = 'x'.repeat(2 ** 26);
            big.indexOf('y');
            await ctx.kv.get('baseline');
            for (let i = 0; i < 128; i++) ${call};
            await Promise.all(Array.from({ length: 128 }, async () => ${call}));
          `),
          { host: measure.host, limits: { memoryMb: 512 } },
        ),
      );
      expect(result.error).toMatchObject({ limit: 'log', code: 'LOG_LIMIT' });
      expect(result.logsTruncated).toBe(true);
      const growth = measure.growth();
      expect(growth.heap).toBeLessThan(MAX_GROWTH);
      expect(growth.rss).toBeLessThan(MAX_GROWTH);
    } finally {
      measure.stop();
    }
  });

  it('bounds the payloads in flight together: many concurrent fetches with big bodies', async () => {
    // The bound lets 8 MiB of payloads out at once, which the host holds a few times over while they
    // are served (the message, the parsed body, the bytes sent, the test server's copy): far below
    // the 128 MiB the calls carry together.
    const maxGrowth = 64 * 1024 * 1024;
    const measure = measuringHost();
    try {
      const result = await sandbox.runAttempt(
        request(
          script(`
            const body = 'b'.repeat(2 ** 20);
            await ctx.kv.get('baseline');
            const all = await Promise.allSettled(Array.from({ length: 128 }, () => ctx.fetch('${url()}', { method: 'POST', body })));
            const first = all.find((s) => s.status === 'rejected');
            return {
              sent: all.filter((s) => s.status === 'fulfilled').length,
              refused: all.filter((s) => s.status === 'rejected' && s.reason.code === 'IN_FLIGHT_LIMIT').length,
              name: first.reason.name,
              message: first.reason.message,
              // Once the answers are in, the next call goes out again.
              after: (await ctx.fetch('${url()}', { method: 'POST', body })).status,
            };
          `),
          { host: measure.host, hosts: hosts(), limits: { memoryMb: 128 } },
        ),
      );
      const payload = JSON.stringify({
        url: url(),
        method: 'POST',
        headers: {},
        redirect: 'follow',
        body: 'b'.repeat(2 ** 20),
      }).length;
      const sent = Math.floor(HOST_CALL_BOUNDS.maxInFlightChars / payload);
      expect(result.output).toEqual({
        sent,
        refused: 128 - sent,
        name: 'RangeError',
        message: expect.stringMatching(
          /^ctx\.fetch: the host calls still waiting for an answer carry \d+ characters, and with this one \(\d+\) they would carry more than 8388608; await some of them before starting more$/,
        ),
        after: 200,
      });
      expect(measure.growth().heap).toBeLessThan(maxGrowth);
    } finally {
      measure.stop();
    }
  });
});
