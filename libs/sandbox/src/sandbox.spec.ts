import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryHost } from './memory-host';
import { Sandbox } from './sandbox';
import { request, RUN, script } from './spec-helpers';
import type { HostServices } from './types';

let sandbox: Sandbox;
beforeAll(() => {
  sandbox = new Sandbox({ poolSize: 2, maxima: { cpuMs: 400 } });
});
afterAll(async () => {
  await sandbox.close();
});

async function expectHealthy(): Promise<void> {
  const result = await sandbox.runAttempt(request(script('return input.n * 2;'), { input: { n: 21 } }));
  expect(result).toMatchObject({ status: 'succeeded', output: 42 });
}

describe('running a script', () => {
  it('passes input and ctx.run in and returns the result as plain data', async () => {
    const input = { items: [1, 2, 3], nested: { ok: true } };
    const result = await sandbox.runAttempt(
      request(
        script(`
          input.items.push(4);
          return { sum: input.items.reduce((a, b) => a + b, 0), sameRealm: input.constructor === Object, run: ctx.run, frozen: Object.isFrozen(ctx.run) };
        `),
        { input },
      ),
    );
    expect(result.status).toBe('succeeded');
    expect(result.output).toEqual({ sum: 10, sameRealm: true, run: RUN, frozen: true });
    expect(input.items).toEqual([1, 2, 3]);
    expect(result.cost.wallMs).toBeGreaterThan(0);
    expect(result.cost.cpuMs).toBeGreaterThan(0);
  });

  it("reports the script's own time apart from the sandbox's setup and teardown", async () => {
    // The script awaits a kv read that takes 30 ms: its share is at least that, never more than the whole.
    const host = createMemoryHost({ kv: { k: 1 } });
    const read = host.kv.get.bind(host.kv);
    host.kv.get = async (key) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return read(key);
    };
    const result = await sandbox.runAttempt(request(script('return await ctx.kv.get("k");'), { host }));
    expect(result.status).toBe('succeeded');
    const { scriptMs, wallMs } = result.cost;
    expect(scriptMs).toBeGreaterThanOrEqual(29);
    expect(scriptMs).toBeLessThanOrEqual(wallMs);
    // A script that does not compile never starts: every millisecond of it was the sandbox's.
    const broken = await sandbox.runAttempt(request('export default async function run( {'));
    expect(broken.status).toBe('failed');
    expect(broken.cost.scriptMs).toBe(0);
    expect(broken.cost.wallMs).toBeGreaterThan(0);
  });

  it('accepts an arrow function or a non-async default export', async () => {
    const arrow = await sandbox.runAttempt(
      request('export default (input) => input.x + 1;', { input: { x: 1 } }),
    );
    expect(arrow).toMatchObject({ status: 'succeeded', output: 2 });
    const sync = await sandbox.runAttempt(request('export default function run() { return "sync"; }'));
    expect(sync).toMatchObject({ status: 'succeeded', output: 'sync' });
  });

  it('serializes the result the way JSON does, inside the isolate', async () => {
    const result = await sandbox.runAttempt(
      request(
        script(`
          class Point { constructor() { this.x = 1; } get y() { return 2; } }
          return { when: new Date(0), nan: NaN, inf: -Infinity, gone: undefined, fn() {}, list: [undefined, () => 1, 3],
                   map: new Map([[1, 2]]), point: new Point(), custom: { toJSON() { return 'custom'; } } };
        `),
      ),
    );
    expect(result.output).toEqual({
      when: '1970-01-01T00:00:00.000Z',
      nan: null,
      inf: null,
      list: [null, null, 3],
      map: {},
      point: { x: 1 },
      custom: 'custom',
    });
  });

  it('returns no output for undefined', async () => {
    const result = await sandbox.runAttempt(request(script('return undefined;')));
    expect(result.status).toBe('succeeded');
    expect('output' in result).toBe(false);
  });

  it('fails clearly on results JSON cannot hold', async () => {
    const circular = await sandbox.runAttempt(request(script('const a = {}; a.self = a; return a;')));
    expect(circular.error).toMatchObject({
      name: 'TypeError',
      message: 'The result contains a circular reference',
    });
    const bigint = await sandbox.runAttempt(request(script('return { n: 10n };')));
    expect(bigint.error?.message).toMatch(/BigInt/);
  });
});

describe('logs', () => {
  it('captures console.* and ctx.log.* with levels and data', async () => {
    const result = await sandbox.runAttempt(
      request(
        script(`
          console.log('hello', 42, { a: 1 }, [1, 'x'], null, undefined);
          console.debug('d'); console.warn('w'); console.error(new Error('boom'));
          ctx.log.info('with data', { rows: 3 });
          ctx.log.error('no data');
          console.assert(1 === 2, 'math');
        `),
      ),
    );
    expect(result.status).toBe('succeeded');
    const logs = result.logs.map(({ level, message, data }) => ({
      level,
      message: message.split('\n')[0],
      data,
    }));
    expect(logs).toEqual([
      { level: 'info', message: 'hello 42 {"a":1} [1,"x"] null undefined', data: undefined },
      { level: 'debug', message: 'd', data: undefined },
      { level: 'warn', message: 'w', data: undefined },
      { level: 'error', message: 'Error: boom', data: undefined },
      { level: 'info', message: 'with data', data: { rows: 3 } },
      { level: 'error', message: 'no data', data: undefined },
      { level: 'error', message: 'Assertion failed: math', data: undefined },
    ]);
    expect(result.logs[3]?.message).toContain('script.js:');
    expect(result.logs.every((entry) => typeof entry.t === 'number')).toBe(true);
    expect(result.logsTruncated).toBe(false);
  });

  it('ends the attempt at the log limit, keeping what fit', async () => {
    const result = await sandbox.runAttempt(
      request(script(`for (let i = 0; i < 100000; i++) console.log('line ' + i + ' ' + 'x'.repeat(100));`), {
        limits: { maxLogBytes: 4096 },
      }),
    );
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ limit: 'log', code: 'LOG_LIMIT' });
    expect(result.logsTruncated).toBe(true);
    expect(result.logs.length).toBeGreaterThan(10);
    expect(result.logs.reduce((n, e) => n + e.message.length, 0)).toBeLessThanOrEqual(4096);
    await expectHealthy();
  });
});

describe('errors', () => {
  it('reports the user line and column and only the script frames', async () => {
    const source = [
      'function helper(x) {',
      '  return x.missing.deeper;',
      '}',
      'export default async function run(input) {',
      '  return helper(input);',
      '}',
    ].join('\n');
    const result = await sandbox.runAttempt(request(source));
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({
      name: 'TypeError',
      message: "Cannot read properties of undefined (reading 'deeper')",
      location: 'script.js:2:20',
    });
    const frames = (result.error?.stack ?? '').split('\n').slice(1);
    expect(frames).toEqual(['    at helper (script.js:2:20)', '    at run (script.js:5:10)']);
  });

  it('keeps the location across awaits', async () => {
    const result = await sandbox.runAttempt(
      request(script(`\n  await ctx.kv.get('k');\n  throw new RangeError('after await');`)),
    );
    expect(result.error).toMatchObject({
      name: 'RangeError',
      message: 'after await',
      location: 'script.js:4:9',
    });
  });

  it('marks ctx.errors.* with their declared class, and only those', async () => {
    for (const [cls, declared] of [
      ['TransientError', 'transient'],
      ['AuthError', 'auth'],
      ['LogicError', 'logic'],
    ] as const) {
      const result = await sandbox.runAttempt(request(script(`throw new ctx.errors.${cls}('because');`)));
      expect(result.error).toMatchObject({
        name: cls,
        message: 'because',
        declaredClass: declared,
        location: 'script.js:2:7',
      });
    }
    const subclass = await sandbox.runAttempt(
      request(
        'export default async (i, ctx) => { class Busy extends ctx.errors.TransientError {}; throw new Busy("sub"); }',
      ),
    );
    expect(subclass.error).toMatchObject({ declaredClass: 'transient', message: 'sub' });
    const forged = await sandbox.runAttempt(
      request(
        script(
          `const e = new Error('forged'); e.name = 'TransientError'; e.declaredClass = 'transient'; e.code = 'HOST_NOT_ALLOWED'; throw e;`,
        ),
      ),
    );
    expect(forged.error?.declaredClass).toBeUndefined();
    expect(forged.error?.code).toBeUndefined();
  });

  it('keeps each ctx.errors class one and the same within an attempt, and read-only', async () => {
    // The classes are made on first use (see bootstrap.ts): every read must still give the same class.
    const result = await sandbox.runAttempt(
      request(
        script(`
          const { TransientError } = ctx.errors;
          const e = new ctx.errors.TransientError('x');
          let assigned = true;
          try { ctx.errors.TransientError = class {}; } catch { assigned = false; }
          return {
            same: TransientError === ctx.errors.TransientError,
            instance: e instanceof TransientError && e instanceof Error,
            keys: Object.keys(ctx.errors),
            frozen: Object.isFrozen(ctx.errors),
            assigned,
            still: ctx.errors.TransientError === TransientError,
            name: TransientError.name,
          };
        `),
      ),
    );
    expect(result.output).toEqual({
      same: true,
      instance: true,
      keys: ['TransientError', 'AuthError', 'LogicError'],
      frozen: true,
      assigned: false,
      still: true,
      name: 'TransientError',
    });
  });

  it('describes thrown non-errors', async () => {
    const result = await sandbox.runAttempt(request(script(`throw 'just a string';`)));
    expect(result.error).toMatchObject({
      name: 'Error',
      message: 'Script threw a non-Error value: just a string',
    });
  });

  it('reports syntax errors, missing exports, imports and top-level throws', async () => {
    const syntax = await sandbox.runAttempt(
      request('export default async function run() {\n  return 1 +;\n}'),
    );
    expect(syntax.error).toMatchObject({ name: 'SyntaxError', location: 'script.js:2:13' });
    const noDefault = await sandbox.runAttempt(request('export function run() {}'));
    expect(noDefault.error?.message).toMatch(/must export a default function/);
    const imports = await sandbox.runAttempt(request('import fs from "node:fs";\nexport default () => fs;'));
    expect(imports.error).toMatchObject({ code: 'IMPORT_NOT_ALLOWED' });
    expect(imports.error?.message).toContain('"node:fs"');
    const topLevel = await sandbox.runAttempt(
      request('const x = 1;\nthrow new Error("at load");\nexport default () => x;'),
    );
    expect(topLevel.error).toMatchObject({ name: 'Error', message: 'at load', location: 'script.js:2:7' });
    expect(topLevel.error?.stack).not.toMatch(/isolated-vm|node_modules|\/work\//);
  });
});

describe('the clock and randomness', () => {
  it('serves Date and Math.random from the recorded values, moving the clock only on host calls', async () => {
    const result = await sandbox.runAttempt(
      request(
        script(`
          const t0 = Date.now(); const d = new Date(); const s = Date();
          let spin = 0; for (let i = 0; i < 1e6; i++) spin += i;
          const t1 = Date.now();
          await ctx.kv.get('x');
          const t2 = Date.now();
          return { t0, d: d.getTime(), s, t1, t2, r: [Math.random(), Math.random()], isDate: d instanceof Date, proto: Object.getPrototypeOf(d) === Date.prototype,
                   explicit: new Date(2020, 0, 1).getFullYear(), sub: new (class extends Date {})().getTime() };
        `),
      ),
    );
    expect(result.status).toBe('succeeded');
    const out = result.output as Record<string, unknown>;
    const calls = result.recording.calls;
    expect(calls[0]).toMatchObject({ kind: 'time' });
    expect(calls[1]).toMatchObject({ kind: 'random' });
    const start = (calls[0] as { value: number }).value;
    expect(out.t0).toBe(start);
    expect(out.d).toBe(start);
    expect(out.t1).toBe(start);
    expect(out.sub).toBe(out.t2);
    expect(out.s).toBe(new Date(start).toString());
    expect(out.t2).toBe(calls[2]?.at);
    expect(out).toMatchObject({ isDate: true, proto: true, explicit: 2020 });
    const randoms = out.r as number[];
    expect(randoms[0]).not.toBe(randoms[1]);
    expect(randoms.every((r) => r >= 0 && r < 1)).toBe(true);
  });
});

describe('limits', () => {
  it('stops an infinite loop at the CPU limit', async () => {
    const result = await sandbox.runAttempt(request(script('for (;;) {}')));
    expect(result.error).toMatchObject({ name: 'LimitError', limit: 'cpu', code: 'CPU_LIMIT' });
    // The CPU watchdog, not the 30 s wall-clock limit (which words a busy loop differently).
    expect(result.error?.message).toMatch(/more than 400 ms of CPU time/);
    await expectHealthy();
  });

  it('stops a loop that starts after an await (outside any isolated-vm timeout)', async () => {
    const result = await sandbox.runAttempt(request(script(`await ctx.kv.get('k'); while (true) {}`)));
    expect(result.error).toMatchObject({ limit: 'cpu' });
    await expectHealthy();
  });

  it('ends an attempt waiting on slow I/O at the wall-clock limit', async () => {
    const slow: HostServices = {
      ...createMemoryHost(),
      kv: { get: () => new Promise(() => {}), set: async () => {}, delete: async () => {} },
    };
    const result = await sandbox.runAttempt(
      request(script(`await ctx.kv.get('slow'); return 1;`), { host: slow, limits: { timeoutMs: 300 } }),
    );
    expect(result.error).toMatchObject({ limit: 'timeout', code: 'TIMEOUT' });
    expect(result.error?.message).toMatch(/300 ms while waiting on a host call/);
    await expectHealthy();
  });

  it('ends a never-settling promise at once, without waiting for the time limit', async () => {
    const started = Date.now();
    const result = await sandbox.runAttempt(
      request(script('await new Promise(() => {});'), { limits: { timeoutMs: 20_000 } }),
    );
    // NEVER_SETTLED, not TIMEOUT: found out, not waited out; well before the limit on any machine.
    expect(result.error).toMatchObject({ limit: 'timeout', code: 'NEVER_SETTLED' });
    expect(Date.now() - started).toBeLessThan(10_000);
    await expectHealthy();
  });

  it('disposes the isolate on a memory bomb and serves the next attempt', async () => {
    // CPU time far away: a garbage collector under pressure burns CPU time too, and on a loaded
    // machine this suite's 400 ms could otherwise end the bomb before the memory limit does.
    const roomy = new Sandbox({ poolSize: 1, maxima: { cpuMs: 20_000 } });
    try {
      const result = await roomy.runAttempt(
        request(script('const keep = []; for (;;) keep.push({ a: Math.random(), b: [1, 2, 3] });'), {
          limits: { memoryMb: 16 },
        }),
      );
      expect(result.error).toMatchObject({ limit: 'memory', code: 'MEMORY_LIMIT' });
      expect(result.error?.message).toMatch(/16 MB/);
      const next = await roomy.runAttempt(request(script('return input.n * 2;'), { input: { n: 21 } }));
      expect(next).toMatchObject({ status: 'succeeded', output: 42 });
    } finally {
      await roomy.close();
    }
  });

  it('bounds the result size and depth', async () => {
    const big = await sandbox.runAttempt(
      request(script(`return 'x'.repeat(5000);`), { limits: { maxResultBytes: 1024 } }),
    );
    expect(big.error).toMatchObject({
      limit: 'result',
      code: 'RESULT_LIMIT',
      message: 'The result is larger than 1024 bytes',
    });
    const deep = await sandbox.runAttempt(
      request(script(`let v = {}; for (let i = 0; i < 100; i++) v = { v }; return v;`)),
    );
    expect(deep.error).toMatchObject({
      limit: 'result',
      message: 'The result is nested deeper than 64 levels',
    });
    const wide = await sandbox.runAttempt(
      request(script(`const a = []; a.length = 1e9; return a;`), { limits: { maxResultBytes: 2048 } }),
    );
    expect(wide.error).toMatchObject({ limit: 'result' });
  });

  it('bounds host calls', async () => {
    const limited = new Sandbox({ poolSize: 1, maxima: { maxHostCalls: 50 } });
    try {
      const result = await limited.runAttempt(
        request(script(`for (let i = 0; i < 1000; i++) await ctx.kv.get('k' + i);`)),
      );
      expect(result.error).toMatchObject({ limit: 'host_calls', code: 'HOST_CALL_LIMIT' });
      expect(result.cost.hostCalls).toBe(51);
      const flood = await limited.runAttempt(
        request(script(`for (let i = 0; i < 1e6; i++) ctx.kv.get('k'); await new Promise(() => {});`)),
      );
      expect(flood.error).toMatchObject({ limit: 'host_calls' });
      const ok = await limited.runAttempt(request(script('return 1;')));
      expect(ok.status).toBe('succeeded');
    } finally {
      await limited.close();
    }
  });

  it('caps the manifest limits by the server maximums', async () => {
    const capped = new Sandbox({ poolSize: 1, maxima: { timeoutMs: 200, cpuMs: 10_000 } });
    try {
      const slow: HostServices = { ...createMemoryHost(), secrets: { get: () => new Promise(() => {}) } };
      const result = await capped.runAttempt(
        request(script(`await ctx.secrets.get('A');`), {
          host: slow,
          secrets: ['A'],
          limits: { timeoutMs: 60_000 },
        }),
      );
      expect(result.error).toMatchObject({ limit: 'timeout' });
      expect(result.error?.message).toMatch(/200 ms/);
    } finally {
      await capped.close();
    }
  });

  it('ends an attempt promptly when its signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const result = await sandbox.runAttempt(
      request(script('for (;;) {}'), { signal: controller.signal, limits: { timeoutMs: 10_000 } }),
    );
    // Cancelled, not stopped by the CPU limit (400 ms) or the time limit: the abort ended it.
    expect(result.error).toMatchObject({ limit: 'cancelled', code: 'CANCELLED' });
    const pre = await sandbox.runAttempt(request(script('return 1;'), { signal: AbortSignal.abort() }));
    expect(pre.error).toMatchObject({ limit: 'cancelled' });
    await expectHealthy();
  });
});

describe('secrets, kv and steps', () => {
  it('serves declared secrets and redacts them from logs, output, errors and the recording', async () => {
    const host = createMemoryHost({ secrets: { CRM_TOKEN: 'tok-123456789' } });
    const result = await sandbox.runAttempt(
      request(
        script(`
          const token = await ctx.secrets.get('CRM_TOKEN');
          console.log('token is', token);
          ctx.log.info('header', { authorization: 'Bearer ' + token });
          await ctx.kv.set('copy', token);
          await ctx.kv.get('copy');
          throw new Error('failed with ' + token);
        `),
        { host, secrets: ['CRM_TOKEN'] },
      ),
    );
    const everything = JSON.stringify(result);
    expect(everything).not.toContain('tok-123456789');
    expect(result.error?.message).toBe('failed with ***');
    expect(result.logs.map((l) => [l.message, l.data])).toEqual([
      ['token is ***', undefined],
      ['header', { authorization: 'Bearer ***' }],
    ]);
    expect(result.recording.calls.find((c) => c.kind === 'secret')).toMatchObject({
      name: 'CRM_TOKEN',
      present: true,
    });
    expect(result.recording.calls.find((c) => c.kind === 'kv.get')).toMatchObject({ value: '***' });
    const ok = await sandbox.runAttempt(
      request(script(`return { t: await ctx.secrets.get('CRM_TOKEN') };`), { host, secrets: ['CRM_TOKEN'] }),
    );
    expect(ok.output).toEqual({ t: '***' });
  });

  it('refuses undeclared secrets and fails the attempt even if the script catches it', async () => {
    const host = createMemoryHost({ secrets: { OTHER: 'other-secret-value' } });
    const result = await sandbox.runAttempt(
      request(script(`try { await ctx.secrets.get('OTHER'); } catch (e) { return 'swallowed ' + e.code; }`), {
        host,
      }),
    );
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ name: 'PolicyError', code: 'SECRET_NOT_DECLARED' });
    expect(result.error?.message).toMatch(/not declared.*caught this error/);
    expect(JSON.stringify(result)).not.toContain('other-secret-value');
  });

  it('reports a declared secret without a value as an auth problem', async () => {
    const result = await sandbox.runAttempt(
      request(script(`await ctx.secrets.get('MISSING');`), { secrets: ['MISSING'] }),
    );
    expect(result.error).toMatchObject({
      name: 'AuthError',
      code: 'SECRET_MISSING',
      location: 'script.js:2:19',
    });
    expect(result.error?.declaredClass).toBeUndefined();
    expect(result.recording.calls[2]).toMatchObject({ kind: 'secret', name: 'MISSING', present: false });
  });

  it('stores kv values as JSON copies, bounded in size', async () => {
    const host = createMemoryHost();
    const result = await sandbox.runAttempt(
      request(
        script(`
          await ctx.kv.set('cursor', { page: 2, at: new Date(0) });
          const back = await ctx.kv.get('cursor');
          await ctx.kv.delete('gone');
          const none = await ctx.kv.get('gone');
          let tooBig, badKey;
          try { await ctx.kv.set('big', 'x'.repeat(70000)); } catch (e) { tooBig = e.name + ': ' + e.message; }
          try { await ctx.kv.get(''); } catch (e) { badKey = e.name; }
          return { back, none: none === undefined, tooBig, badKey };
        `),
        { host },
      ),
    );
    expect(result.output).toEqual({
      back: { page: 2, at: '1970-01-01T00:00:00.000Z' },
      none: true,
      tooBig: 'RangeError: The value for ctx.kv.set is larger than 65536 bytes',
      badKey: 'TypeError',
    });
    expect(host.kvStore.get('cursor')).toEqual({ page: 2, at: '1970-01-01T00:00:00.000Z' });
  });

  it('does not run a step body again when a failed run is retried', async () => {
    const host = createMemoryHost();
    const source = script(`
      const sent = await ctx.step('notify', async () => {
        const n = (await ctx.kv.get('side-effects')) ?? 0;
        await ctx.kv.set('side-effects', n + 1);
        return { sent: 7 };
      });
      if (ctx.run.attempt === 1) throw new ctx.errors.TransientError('the next call failed');
      return sent;
    `);
    const first = await sandbox.runAttempt(request(source, { host }));
    expect(first.error).toMatchObject({ declaredClass: 'transient' });
    expect(host.kvStore.get('side-effects')).toBe(1);
    const second = await sandbox.runAttempt({ ...request(source, { host }), run: { ...RUN, attempt: 2 } });
    expect(second).toMatchObject({ status: 'succeeded', output: { sent: 7 } });
    expect(host.kvStore.get('side-effects')).toBe(1);
    expect(second.recording.calls.slice(2)).toEqual([
      { kind: 'step', name: 'notify', cached: true, value: { sent: 7 }, at: expect.any(Number) },
    ]);
  });

  it('runs a step once when the same step is awaited twice at the same time', async () => {
    const host = createMemoryHost();
    const result = await sandbox.runAttempt(
      request(
        script(`
          let runs = 0;
          const body = async () => { runs++; await ctx.kv.get('x'); return runs; };
          const [a, b] = await Promise.all([ctx.step('once', body), ctx.step('once', body)]);
          return { a, b, runs };
        `),
        { host },
      ),
    );
    expect(result.output).toEqual({ a: 1, b: 1, runs: 1 });
  });
});

describe('isolate reuse', () => {
  it('leaks nothing between attempts on the same isolate', async () => {
    const single = new Sandbox({ poolSize: 1 });
    try {
      const dirty = await single.runAttempt(
        request(`
          let counter = 41;
          globalThis.leaked = 'yes';
          Object.prototype.polluted = 'yes';
          Array.prototype.map = () => 'hijacked';
          JSON.stringify = () => 'hijacked';
          Math.random = () => 0.5;
          export default async () => ++counter;
        `),
      );
      expect(dirty.output).toBe(42);
      const clean = await single.runAttempt(
        request(`
          let counter = 0;
          export default async () => ({
            counter: ++counter,
            leaked: typeof globalThis.leaked,
            polluted: ({}).polluted,
            map: [1].map((x) => x + 1),
            json: JSON.stringify({ a: 1 }),
            random: Math.random() !== 0.5,
          });
        `),
      );
      expect(clean.output).toEqual({
        counter: 1,
        leaked: 'undefined',
        map: [2],
        json: '{"a":1}',
        random: true,
      });
    } finally {
      await single.close();
    }
  });

  it('gives every attempt a fresh module state, even for a source the isolate compiled before', async () => {
    // V8 caches a module's compiled code per isolate, keyed by its source: two automations (or two
    // attempts) with the same source share that code, never its state.
    const single = new Sandbox({ poolSize: 1 });
    const source = `
      let counter = 0;
      globalThis.seen = (globalThis.seen ?? 0) + 1;
      export default async (input, ctx) => ({ counter: ++counter, seen: globalThis.seen, automation: ctx.run.automationId });
    `;
    try {
      const outputs = [];
      for (const automationId of ['auto-a', 'auto-b', 'auto-a']) {
        const result = await single.runAttempt(request(source, { run: { ...RUN, automationId } }));
        outputs.push(result.output);
      }
      expect(outputs).toEqual([
        { counter: 1, seen: 1, automation: 'auto-a' },
        { counter: 1, seen: 1, automation: 'auto-b' },
        { counter: 1, seen: 1, automation: 'auto-a' },
      ]);
    } finally {
      await single.close();
    }
  });

  it("runs each version's own source on a warm isolate, never a previously compiled one", async () => {
    const single = new Sandbox({ poolSize: 1 });
    const version = (n: number) => request(script(`return 'v${n}';`), { run: { ...RUN, version: n } });
    try {
      const outputs = [];
      for (const n of [1, 2, 1, 3]) outputs.push((await single.runAttempt(version(n))).output);
      expect(outputs).toEqual(['v1', 'v2', 'v1', 'v3']);
    } finally {
      await single.close();
    }
  });

  it('ends an attempt only once the work its script left running after returning is done', async () => {
    const single = new Sandbox({ poolSize: 1 });
    try {
      const result = await single.runAttempt(
        request(
          script(`
            let n = 0;
            const step = () => {
              if (++n < 500) return Promise.resolve().then(step);
              ctx.log.info('after the result', { n });
            };
            Promise.resolve().then(step);
            return 'returned';
          `),
        ),
      );
      expect(result).toMatchObject({ status: 'succeeded', output: 'returned' });
      expect(result.logs).toEqual([
        expect.objectContaining({ level: 'info', message: 'after the result', data: { n: 500 } }),
      ]);
      const next = await single.runAttempt(request(script('return typeof n;')));
      expect(next.output).toBe('undefined');
    } finally {
      await single.close();
    }
  });

  it('serves concurrent attempts beyond the pool size by queueing them', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        sandbox.runAttempt(request(script(`await ctx.kv.get('k'); return input.i;`), { input: { i } })),
      ),
    );
    expect(results.map((r) => r.output)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('close() ends running attempts and refuses new ones', async () => {
    const closing = new Sandbox({ poolSize: 1 });
    const running = closing.runAttempt(request(script('for (;;) {}'), { limits: { timeoutMs: 30_000 } }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await closing.close();
    expect((await running).error).toMatchObject({ code: 'SANDBOX_CLOSED' });
    expect((await closing.runAttempt(request(script('return 1;')))).error).toMatchObject({
      code: 'SANDBOX_CLOSED',
    });
  });
});
