/**
 * The security suite's exhaustion classes, run the way the worker runs them (in sandbox processes).
 * Some of these end in an isolated-vm *catastrophic* error, after which a process must not go on: run
 * in-process they left a worker alive but serving nothing. Each must end its attempt within its limit
 * with an error that names the limit, leave the parent process serving, and leave the pool's other
 * process untouched; a trivial run right after must succeed.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../spec-helpers';
import type { AttemptError } from '../types';
import { ProcessSandbox } from './process-sandbox';

const ROOT = path.resolve(__dirname, '../../../..');
const TIMEOUT_MS = 5000;
const KILL_GRACE_MS = 1000;

let sandbox: ProcessSandbox;
beforeAll(async () => {
  execFileSync(path.join(ROOT, 'node_modules/.bin/tsc'), ['-b', 'libs/sandbox'], { cwd: ROOT });
  sandbox = new ProcessSandbox({ processes: 2, killGraceMs: KILL_GRACE_MS });
  await sandbox.warm();
}, 120_000);
afterAll(() => sandbox?.close());

/** Out of memory, said by the isolate's own limit or by the death of its process. */
const outOfMemory = (error: AttemptError | undefined) =>
  error?.limit === 'memory' && /memory/i.test(error.message);
/** V8 refused one allocation and threw it to the script, which is a clean script error. */
const allocationRefused = (error: AttemptError | undefined) =>
  error?.name === 'RangeError' && /Invalid (string|array) length|allocation failed/.test(error.message);

const CLASSES: { name: string; body: string; ends: (error: AttemptError | undefined) => boolean }[] = [
  {
    name: 'many small retained objects (a growing Map)',
    body: 'const m = new Map(); for (let i = 0; ; i++) m.set(i, { i });',
    ends: outOfMemory,
  },
  {
    name: 'many small retained objects after a failed giant spread',
    body: 'try { [...".".repeat(1e9)]; } catch (e) {} const keep = []; for (;;) keep.push({ a: keep.length, b: [1, 2, 3] });',
    ends: outOfMemory,
  },
  {
    name: 'giant spreads, caught and retried',
    body: 'const out = []; for (;;) { try { out.push([...".".repeat(1e8)]); } catch (e) { out.push(e); } }',
    ends: outOfMemory,
  },
  {
    name: 'string doubling, every step retained',
    body: 'let s = "x"; const keep = []; for (;;) { s = s + s; keep.push(s); }',
    ends: (e) => allocationRefused(e) || outOfMemory(e),
  },
  {
    name: 'a giant fill',
    body: 'return new Array(1e8).fill(0).length;',
    // Near its memory limit the isolate spends the time collecting garbage: the time limit may come
    // first, and a script not waiting on anything when it does is diagnosed as computing.
    ends: (e) => outOfMemory(e) || allocationRefused(e) || e?.limit === 'cpu',
  },
  {
    name: 'allocation inside a tight loop',
    body: 'for (;;) { const a = []; for (let i = 0; i < 1e7; i++) a.push({ i }); }',
    ends: outOfMemory,
  },
  {
    name: 'typed arrays outside the heap',
    body: 'const keep = []; for (;;) keep.push(new Float64Array(1e6));',
    ends: (e) => allocationRefused(e) || outOfMemory(e),
  },
  {
    name: 'an endless loop',
    body: 'for (;;) {}',
    ends: (e) => e?.limit === 'cpu',
  },
];

describe('security: exhaustion in sandbox processes', () => {
  for (const { name, body, ends } of CLASSES) {
    it(
      name,
      async () => {
        const started = Date.now();
        const result = await sandbox.runAttempt(
          request(`export default async function run(input, ctx) { ${body} }`, {
            limits: { memoryMb: 64, timeoutMs: TIMEOUT_MS },
          }),
        );
        expect(result.status).toBe('failed');
        expect(ends(result.error), JSON.stringify(result.error)).toBe(true);
        // Within its limit: the time limit, plus the grace the pool gives a process before killing it.
        expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + KILL_GRACE_MS + 2000);
        // The pool is whole again and serving (a dead process was replaced).
        await expect.poll(() => sandbox.pids.length).toBe(2);
        const next = await sandbox.runAttempt(
          request('export default async function run(input) { return input.n * 2; }', { input: { n: 21 } }),
        );
        expect(next.output).toBe(42);
        expect(sandbox.health().ok).toBe(true);
      },
      30_000,
    );
  }
});
