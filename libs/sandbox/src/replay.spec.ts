import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLAY_SECRET_PLACEHOLDER } from './host-ops';
import { createMemoryHost } from './memory-host';
import { Sandbox } from './sandbox';
import { request, script, startServer, type TestServer } from './spec-helpers';
import type { AttemptResult, HostServices } from './types';

let server: TestServer;
let sandbox: Sandbox;
let counter = 0;
let hosts: string[];
const hostErrors: string[] = [];

/** A host that must never be touched: a replay serves everything from the recording. */
const untouchable: HostServices = {
  secrets: { get: () => Promise.reject(new Error('secrets touched during replay')) },
  kv: {
    get: () => Promise.reject(new Error('kv touched during replay')),
    set: () => Promise.reject(new Error('kv touched during replay')),
    delete: () => Promise.reject(new Error('kv touched during replay')),
  },
  steps: {
    get: () => Promise.reject(new Error('steps touched during replay')),
    put: () => Promise.reject(new Error('steps touched during replay')),
  },
  events: { emit: () => Promise.reject(new Error('events emitted during replay')) },
};

const SOURCE = script(`
  const token = await ctx.secrets.get('API_TOKEN');
  const started = Date.now();
  const res = await ctx.fetch(input.base + '/counter?token=' + token);
  const { n } = await res.json();
  const cursor = (await ctx.kv.get('cursor')) ?? 0;
  await ctx.kv.set('cursor', cursor + n);
  const saved = await ctx.step('save', async () => ({ savedAt: Date.now() }));
  return { n, cursor, saved, token, elapsed: Date.now() - started, random: Math.random(), id: Math.random().toString(36).slice(2) };
`);

beforeAll(async () => {
  server = await startServer((_req, res) => {
    counter++;
    setTimeout(() => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ n: counter }));
    }, 5);
  });
  hosts = [`127.0.0.1:${server.port}`];
  sandbox = new Sandbox({
    poolSize: 1,
    allowPrivateNetwork: true,
    onHostError: (error) => hostErrors.push(String(error)),
  });
});

afterAll(async () => {
  await sandbox.close();
  await server.close();
});

async function recordOriginal(): Promise<AttemptResult> {
  const host = createMemoryHost({ secrets: { API_TOKEN: 'real-token-value' }, kv: { cursor: 10 } });
  const result = await sandbox.runAttempt(
    request(SOURCE, { host, hosts, secrets: ['API_TOKEN'], input: { base: server.url } }),
  );
  expect(result.error).toBeUndefined();
  return result;
}

describe('recording', () => {
  it('records every host call in order, with the clock after each, and never a secret value', async () => {
    const original = await recordOriginal();
    const kinds = original.recording.calls.map((c) => c.kind);
    expect(kinds).toEqual(['time', 'random', 'secret', 'fetch', 'kv.get', 'kv.set', 'step']);
    expect(original.recording.calls.slice(2).every((c) => typeof c.at === 'number')).toBe(true);
    expect(JSON.stringify(original.recording)).not.toContain('real-token-value');
    expect(original.recording.calls[3]).toMatchObject({
      request: { url: `${server.url}/counter?token=***` },
    });
    expect((original.output as { token: string }).token).toBe('***');
  });
});

describe('replay', () => {
  it('replays the same recording to the same output, twice, without touching the world', async () => {
    const original = await recordOriginal();
    const hitsBefore = server.hits.length;
    const first = await sandbox.runAttempt(
      request(SOURCE, {
        host: untouchable,
        hosts,
        secrets: ['API_TOKEN'],
        input: { base: server.url },
        replay: original.recording,
      }),
    );
    const second = await sandbox.runAttempt(
      request(SOURCE, {
        host: untouchable,
        hosts,
        secrets: ['API_TOKEN'],
        input: { base: server.url },
        replay: original.recording,
      }),
    );
    expect(first.status).toBe('succeeded');
    expect(first.output).toEqual(original.output);
    expect(second.output).toEqual(first.output);
    expect(second.recording).toEqual(first.recording);
    expect(first.recording).toEqual(original.recording);
    expect(first.replay).toEqual({ callsReplayed: 7, callsRecorded: 7 });
    expect(server.hits.length).toBe(hitsBefore);
    expect(hostErrors).toEqual([]);
  });

  it('gives the script a placeholder, never the real secret', async () => {
    const original = await recordOriginal();
    const result = await sandbox.runAttempt(
      request(
        script(`
          const token = await ctx.secrets.get('API_TOKEN');
          await ctx.fetch(input.base + '/counter?token=' + token);
          return { leaked: token.includes('real'), placeholder: token === '${REPLAY_SECRET_PLACEHOLDER}' };
        `),
        {
          host: untouchable,
          hosts,
          secrets: ['API_TOKEN'],
          input: { base: server.url },
          replay: original.recording,
        },
      ),
    );
    expect(result.output).toEqual({ leaked: false, placeholder: true });
    expect(result.replay).toEqual({ callsReplayed: 4, callsRecorded: 7 });
  });

  it('fails clearly when a changed script makes a call the recording does not have at that point', async () => {
    const original = await recordOriginal();
    const changed = script(`
      const token = await ctx.secrets.get('API_TOKEN');
      await ctx.kv.get('something-new');
      return token;
    `);
    const result = await sandbox.runAttempt(
      request(changed, { host: untouchable, hosts, secrets: ['API_TOKEN'], replay: original.recording }),
    );
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({
      name: 'ReplayMismatchError',
      code: 'REPLAY_MISMATCH',
      location: 'script.js:4:20',
    });
    expect(result.error?.message).toBe(
      `Replay mismatch at call #4: the recording has ctx.fetch GET ${server.url}/counter?token=***, but the script made ctx.kv.get("something-new")`,
    );
  });

  it('fails clearly when the script goes on past the end of the recording, even if it catches the error', async () => {
    const original = await recordOriginal();
    const longer = SOURCE.replace(
      'return {',
      `try { await ctx.kv.delete('extra'); } catch (e) {}\n  return {`,
    );
    const result = await sandbox.runAttempt(
      request(longer, {
        host: untouchable,
        hosts,
        secrets: ['API_TOKEN'],
        input: { base: server.url },
        replay: original.recording,
      }),
    );
    expect(result.error).toMatchObject({ code: 'REPLAY_MISMATCH' });
    expect(result.error?.message).toMatch(
      /the script made ctx\.kv\.delete\("extra"\) as call #8, but the recording ends after 7 calls/,
    );
  });

  it('fetches to another URL are mismatches too', async () => {
    const original = await recordOriginal();
    const changed = SOURCE.replace('/counter?token=', '/other?token=');
    const result = await sandbox.runAttempt(
      request(changed, {
        host: untouchable,
        hosts,
        secrets: ['API_TOKEN'],
        input: { base: server.url },
        replay: original.recording,
      }),
    );
    expect(result.error?.message).toContain(
      `the recording has ctx.fetch GET ${server.url}/counter?token=***, but the script made ctx.fetch GET ${server.url}/other?token=`,
    );
  });

  it('applies the current manifest: a candidate cannot reach hosts or secrets the recording had', async () => {
    const original = await recordOriginal();
    const noHosts = await sandbox.runAttempt(
      request(SOURCE, {
        host: untouchable,
        hosts: [],
        secrets: ['API_TOKEN'],
        input: { base: server.url },
        replay: original.recording,
      }),
    );
    expect(noHosts.error).toMatchObject({ code: 'HOST_NOT_ALLOWED' });
    const noSecrets = await sandbox.runAttempt(
      request(SOURCE, {
        host: untouchable,
        hosts,
        secrets: [],
        input: { base: server.url },
        replay: original.recording,
      }),
    );
    expect(noSecrets.error).toMatchObject({ code: 'SECRET_NOT_DECLARED' });
  });

  it('serves cached steps from the recording without running the body', async () => {
    const host = createMemoryHost();
    host.stepStore.set('save', { savedAt: 1 });
    const source = script(
      `let ran = false; const v = await ctx.step('save', async () => { ran = true; return 2; }); return { v, ran };`,
    );
    const original = await sandbox.runAttempt(request(source, { host }));
    expect(original.output).toEqual({ v: { savedAt: 1 }, ran: false });
    const replayed = await sandbox.runAttempt(
      request(source, { host: untouchable, replay: original.recording }),
    );
    expect(replayed.output).toEqual(original.output);
  });

  it('refuses a recording that does not start with its clock and seed', async () => {
    const result = await sandbox.runAttempt(
      request(script('return 1;'), { host: untouchable, replay: { version: 1, calls: [] } }),
    );
    expect(result.error).toMatchObject({ code: 'REPLAY_MISMATCH' });
    expect(result.error?.message).toMatch(/does not start with the clock and the random seed/);
  });
});
