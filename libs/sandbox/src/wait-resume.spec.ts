/**
 * ctx.waitForApproval, ctx.sleep and ctx.sleepUntil: an attempt that waits ends `waiting`, and a new
 * attempt resumes it from the recording without repeating a side effect, then goes live.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_WAIT_MS } from './limits';
import { createMemoryHost, type MemoryHost } from './memory-host';
import { Sandbox } from './sandbox';
import { request, script, startServer, type TestServer } from './spec-helpers';
import type { AttemptRequest, AttemptResult, HostCallRecord, Recording } from './types';

let server: TestServer;
let other: TestServer;
let sandbox: Sandbox;
let served = 0;

beforeAll(async () => {
  server = await startServer((_req, res) => {
    served++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ n: served }));
  });
  other = await startServer((_req, res) => res.end('{}'));
  sandbox = new Sandbox({ poolSize: 1, allowPrivateNetwork: true });
});

afterAll(async () => {
  await sandbox.close();
  await server.close();
  await other.close();
});

/** A memory host that counts the writes and secret reads that reach it. */
function countingHost(): MemoryHost & { counts: { kvSet: number; stepPut: number; secretGet: number } } {
  const host = createMemoryHost({ secrets: { TOKEN: 'real-secret-value' } });
  const counts = { kvSet: 0, stepPut: 0, secretGet: 0 };
  return {
    ...host,
    counts,
    secrets: { get: (name) => (counts.secretGet++, host.secrets.get(name)) },
    kv: { ...host.kv, set: (key, value) => (counts.kvSet++, host.kv.set(key, value)) },
    steps: { ...host.steps, put: (name, value) => (counts.stepPut++, host.steps.put(name, value)) },
  };
}

const APPROVAL_SOURCE = script(`
  const token = await ctx.secrets.get('TOKEN');
  const before = await (await ctx.fetch(input.base + '/before')).json();
  const prepared = await ctx.step('prepare', async () => {
    ctx.log.info('step body ran');
    return { preparedAt: Date.now(), n: before.n };
  });
  await ctx.kv.set('cursor', before.n);
  console.log('before the wait');
  const answer = await ctx.waitForApproval({ title: 'Send the invoice', details: 'total 42 EUR' });
  console.log('after the wait', answer.approved);
  const after = await (await ctx.fetch(input.base + '/after')).json();
  return { answer, before: before.n, after: after.n, prepared, tokenLength: token.length, random: Math.random() };
`);

function attempt(source: string, options: Partial<AttemptRequest> & { host?: MemoryHost } = {}) {
  return sandbox.runAttempt(
    request(source, {
      hosts: [`127.0.0.1:${server.port}`, `127.0.0.1:${other.port}`],
      secrets: ['TOKEN'],
      input: { base: server.url, other: other.url },
      ...options,
    }),
  );
}

const kinds = (recording: Recording) => recording.calls.map((c) => c.kind);
const lastCall = (recording: Recording) => recording.calls[recording.calls.length - 1] as HostCallRecord;

describe('suspending', () => {
  it('ends the attempt waiting, with the wait request, after the calls before it went out once', async () => {
    const host = countingHost();
    const hits = server.hits.length;
    const result = await attempt(APPROVAL_SOURCE, { host });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('waiting');
    expect(result.output).toBeUndefined();
    expect(result.wait).toEqual({
      kind: 'approval',
      title: 'Send the invoice',
      details: 'total 42 EUR',
      timeoutMs: 86_400_000,
    });
    expect(server.hits.length - hits).toBe(1);
    expect(kinds(result.recording)).toEqual(['time', 'random', 'secret', 'fetch', 'step', 'kv.set', 'wait']);
    expect(lastCall(result.recording)).toEqual({ kind: 'wait', wait: result.wait });
    expect(result.logs.map((l) => l.message)).toEqual(['step body ran', 'before the wait']);
    expect(host.counts).toEqual({ kvSet: 1, stepPut: 1, secretGet: 1 });
    expect(JSON.stringify(result)).not.toContain('real-secret-value');
  });
});

describe('resuming', () => {
  it('serves the calls before the wait from the recording, answers the wait, then runs live', async () => {
    const host = countingHost();
    const hits = server.hits.length;
    const first = await attempt(APPROVAL_SOURCE, { host });
    const answer = { approved: true, by: 'u1', comment: 'ok' };
    const resumed = await attempt(APPROVAL_SOURCE, { host, resume: { recording: first.recording, answer } });

    expect(resumed.error).toBeUndefined();
    expect(resumed.status).toBe('succeeded');
    const output = resumed.output as Record<string, unknown>;
    expect(output.answer).toEqual(answer);
    // The fetch before the wait was served from the recording; only the one after it went out.
    expect(server.hits.slice(hits)).toEqual(['GET /before', 'GET /after']);
    expect(output.after).toBe((output.before as number) + 1);
    // Neither kv.set nor the step's body ran again; the secret was read again, for its real value.
    expect(host.counts).toEqual({ kvSet: 1, stepPut: 1, secretGet: 2 });
    expect(output.tokenLength).toBe('real-secret-value'.length);
    expect(resumed.logs.map((l) => l.message)).toEqual(['after the wait true']);

    // The whole history: the first attempt's calls, the wait answered, then the live fetch.
    expect(kinds(resumed.recording)).toEqual([...kinds(first.recording), 'fetch']);
    expect(resumed.recording.calls.slice(0, 6)).toEqual(first.recording.calls.slice(0, 6));
    const wait = resumed.recording.calls[6];
    expect(wait).toMatchObject({ kind: 'wait', wait: first.wait, answer });
    expect(typeof wait?.at).toBe('number');
    expect(resumed.cost.fetches).toBe(1);
    expect(JSON.stringify(resumed)).not.toContain('real-secret-value');
  });

  it('moves the clock to the real time at the wait', async () => {
    const source = script(`
      const before = Date.now();
      await ctx.sleep(60_000);
      return { before, after: Date.now() };
    `);
    const first = await attempt(source);
    const resumeStarted = Date.now();
    const resumed = await attempt(source, { resume: { recording: first.recording, answer: undefined } });
    const output = resumed.output as { before: number; after: number };
    expect(output.before).toBe((first.recording.calls[0] as { value: number }).value);
    expect(output.after).toBeGreaterThanOrEqual(resumeStarted);
  });

  it('resumes two waits in sequence, and a repair replay of the full history agrees', async () => {
    const host = countingHost();
    const source = script(`
      await ctx.kv.set('phase', 1);
      await ctx.sleep(60_000);
      console.log('slept');
      await ctx.kv.set('phase', 2);
      const answer = await ctx.waitForApproval({ title: 'Go on?', timeoutMs: 3_600_000 });
      console.log('approved');
      return { approved: answer.approved, now: Date.now(), random: Math.random() };
    `);
    const first = await attempt(source, { host });
    expect(first.status).toBe('waiting');
    expect(first.wait).toEqual({
      kind: 'sleep',
      // The script's clock when it called ctx.sleep: the time kv.set completed.
      until: (first.recording.calls[2]?.at as number) + 60_000,
    });

    const second = await attempt(source, { host, resume: { recording: first.recording, answer: undefined } });
    expect(second.status).toBe('waiting');
    expect(second.wait).toEqual({ kind: 'approval', title: 'Go on?', timeoutMs: 3_600_000 });
    expect(second.logs.map((l) => l.message)).toEqual(['slept']);

    const third = await attempt(source, {
      host,
      resume: { recording: second.recording, answer: { approved: true, by: 'u2' } },
    });
    expect(third.status).toBe('succeeded');
    expect(third.logs.map((l) => l.message)).toEqual(['approved']);
    expect(host.counts.kvSet).toBe(2);
    expect(host.kvStore.get('phase')).toBe(2);
    expect(kinds(third.recording)).toEqual(['time', 'random', 'kv.set', 'wait', 'kv.set', 'wait']);

    const replay = await attempt(source, { host: createMemoryHost(), replay: third.recording });
    expect(replay.status).toBe('succeeded');
    expect(replay.output).toEqual(third.output);
    expect(replay.recording).toEqual(third.recording);

    // A replay of a recording that ends at an unanswered wait ends waiting too.
    const replayWaiting = await attempt(source, { host: createMemoryHost(), replay: second.recording });
    expect(replayWaiting.status).toBe('waiting');
    expect(replayWaiting.wait).toEqual(second.wait);
  });
});

describe('ctx.sleep and ctx.sleepUntil', () => {
  it('resolves a sleepUntil in the past at once, and records it so replays agree', async () => {
    const source = script(`
      const value = await ctx.sleepUntil(Date.now() - 1000);
      await ctx.sleepUntil(new Date(Date.now()));
      return { value: value === undefined ? 'undefined' : value };
    `);
    const result = await attempt(source);
    expect(result.status).toBe('succeeded');
    expect(result.output).toEqual({ value: 'undefined' });
    expect(kinds(result.recording)).toEqual(['time', 'random', 'wait', 'wait']);
    const replay = await attempt(source, { replay: result.recording });
    expect(replay.status).toBe('succeeded');
    expect(replay.recording).toEqual(result.recording);
  });

  it.each([
    ['a Date', 'new Date(Date.now() + 3_600_000)', 3_600_000],
    ['epoch milliseconds', 'Date.now() + 7_200_000', 7_200_000],
  ])('suspends until a future time given as %s', async (_what, expression, ahead) => {
    const result = await attempt(script(`await ctx.sleepUntil(${expression}); return 1;`));
    expect(result.status).toBe('waiting');
    const start = (result.recording.calls[0] as { value: number }).value;
    expect(result.wait).toEqual({ kind: 'sleep', until: start + ahead });
  });

  it('suspends until an ISO-8601 time', async () => {
    const until = new Date(Date.now() + 86_400_000).toISOString();
    const result = await attempt(script(`await ctx.sleepUntil('${until}'); return 1;`));
    expect(result.wait).toEqual({ kind: 'sleep', until: Date.parse(until) });
  });

  it('refuses bad arguments with a stable code', async () => {
    const result = await attempt(
      script(`
        const cases = {
          zero: () => ctx.sleep(0),
          fraction: () => ctx.sleep(1.5),
          tooLong: () => ctx.sleep(${MAX_WAIT_MS + 1}),
          notNumber: () => ctx.sleep('10'),
          badDate: () => ctx.sleepUntil('tomorrow'),
          localTime: () => ctx.sleepUntil('2030-01-01T09:00:00'),
          tooFar: () => ctx.sleepUntil(Date.now() + ${MAX_WAIT_MS} + 1000),
          noTitle: () => ctx.waitForApproval({ title: '' }),
          longTitle: () => ctx.waitForApproval({ title: 'x'.repeat(201) }),
          longDetails: () => ctx.waitForApproval({ title: 't', details: 'x'.repeat(4001) }),
          shortTimeout: () => ctx.waitForApproval({ title: 't', timeoutMs: 1000 }),
          badCaps: () => ctx.waitForApproval({ title: 't', caps: { maxFetches: -1 } }),
          foreignHost: () => ctx.waitForApproval({ title: 't', caps: { hosts: ['evil.example.com'] } }),
        };
        const codes = {};
        for (const [name, call] of Object.entries(cases)) {
          try { await call(); codes[name] = 'resolved'; } catch (e) { codes[name] = e.code; }
        }
        return codes;
      `),
    );
    expect(result.error).toBeUndefined();
    expect(result.output).toEqual({
      zero: 'INVALID_REQUEST',
      fraction: 'INVALID_REQUEST',
      tooLong: 'INVALID_REQUEST',
      notNumber: 'INVALID_REQUEST',
      badDate: 'INVALID_REQUEST',
      localTime: 'INVALID_REQUEST',
      tooFar: 'INVALID_REQUEST',
      noTitle: 'INVALID_REQUEST',
      longTitle: 'NAME_TOO_LONG',
      longDetails: 'INVALID_REQUEST',
      shortTimeout: 'INVALID_REQUEST',
      badCaps: 'INVALID_REQUEST',
      foreignHost: 'HOST_NOT_ALLOWED',
    });
  });
});

describe('approval caps', () => {
  const capsSource = (caps: string) =>
    script(`
      await ctx.fetch(input.base + '/before');
      await ctx.fetch(input.base + '/before-again');
      const answer = await ctx.waitForApproval({ title: 'Spend', caps: ${caps} });
      const urls = input.urls ?? [input.base + '/one', input.base + '/two'];
      for (const url of urls) await ctx.fetch(url);
      return answer;
    `);

  async function resumeWith(source: string, answer: unknown, input?: Record<string, unknown>) {
    const first = await attempt(source, input ? { input: { base: server.url, ...input } } : {});
    expect(first.status).toBe('waiting');
    return attempt(source, {
      resume: { recording: first.recording, answer },
      ...(input ? { input: { base: server.url, ...input } } : {}),
    });
  }

  function expectCapBreach(result: AttemptResult, text: RegExp): void {
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('APPROVAL_CAP_EXCEEDED');
    expect(result.error?.message).toMatch(text);
  }

  it('allows maxFetches fetches after the approval, not counting those before it', async () => {
    const hits = server.hits.length;
    const result = await resumeWith(capsSource('{ maxFetches: 1 }'), { approved: true });
    expectCapBreach(result, /fetch #2 after the approval, but its caps\.maxFetches is 1/);
    expect(server.hits.slice(hits)).toEqual(['GET /before', 'GET /before-again', 'GET /one']);
  });

  it('refuses a host the manifest allows but caps.hosts does not', async () => {
    const source = capsSource(`{ hosts: ['127.0.0.1:${server.port}'] }`);
    const result = await resumeWith(source, { approved: true }, { urls: [`${other.url}/x`] });
    expectCapBreach(
      result,
      new RegExp(
        `127\\.0\\.0\\.1:${other.port} is outside the approval's caps: caps\\.hosts allows only 127\\.0\\.0\\.1:${server.port}`,
      ),
    );
    expect(other.hits).toEqual([]);
  });

  it("enforces the answer's caps over the script's", async () => {
    const result = await resumeWith(capsSource('{ maxFetches: 5 }'), {
      approved: true,
      caps: { maxFetches: 0 },
    });
    expectCapBreach(result, /fetch #1 after the approval, but its caps\.maxFetches is 0/);
  });

  it('fails the resume when the answer carries malformed caps', async () => {
    const result = await resumeWith(capsSource('{ maxFetches: 5 }'), {
      approved: true,
      caps: { maxFetches: 'all' },
    });
    expect(result.error?.code).toBe('INVALID_RESUME');
  });
});

describe('waits that cannot suspend cleanly', () => {
  it('fails a wait started while another host call is in flight (WAIT_WHILE_BUSY)', async () => {
    const result = await attempt(
      script(`await Promise.all([ctx.fetch(input.base + '/busy'), ctx.sleep(1000)]); return 1;`),
    );
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('WAIT_WHILE_BUSY');
    expect(result.error?.message).toMatch(/await every other ctx call before waiting/);
  });

  it('fails a host call made while a wait is pending (WAIT_WHILE_BUSY)', async () => {
    const result = await attempt(script(`const w = ctx.sleep(1000); await ctx.kv.get('x'); await w;`));
    expect(result.error?.code).toBe('WAIT_WHILE_BUSY');
  });

  it('fails a resume whose script makes its calls in another order (RESUME_MISMATCH)', async () => {
    const first = await attempt(
      script(`await ctx.kv.get('a'); await ctx.kv.get('b'); await ctx.sleep(60_000);`),
    );
    const resumed = await attempt(
      script(`await ctx.kv.get('b'); await ctx.kv.get('a'); await ctx.sleep(60_000);`),
      { resume: { recording: first.recording, answer: undefined } },
    );
    expect(resumed.status).toBe('failed');
    expect(resumed.error?.code).toBe('RESUME_MISMATCH');
    expect(resumed.error?.message).toMatch(
      /^Resume mismatch at call #3: the recording has ctx\.kv\.get\("a"\), but the script made ctx\.kv\.get\("b"\)/,
    );
  });

  it('refuses to resume from a recording that does not end at an unanswered wait', async () => {
    const done = await attempt(script(`await ctx.kv.get('a'); return 1;`));
    const resumed = await attempt(script(`await ctx.kv.get('a'); return 1;`), {
      resume: { recording: done.recording, answer: undefined },
    });
    expect(resumed.error?.code).toBe('INVALID_RESUME');
  });
});
