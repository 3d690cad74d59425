/**
 * ctx.emit: validated, recorded, and memoized like a step. A retry reaches the same memo key and the
 * host returns the stored event; a resume and a replay serve the emit from the recording, so the host
 * is not asked at all. A refusal by policy fails the attempt even when the script catches it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryHost, type MemoryHost } from './memory-host';
import { Sandbox } from './sandbox';
import { request, RUN, script } from './spec-helpers';
import type { EmitOutcome, EmitRequest, HostServices } from './types';

let sandbox: Sandbox;

beforeAll(() => {
  sandbox = new Sandbox({ poolSize: 1 });
});

afterAll(async () => {
  await sandbox.close();
});

/** A memory host that keeps every emit request that reaches it. */
function countingHost(): MemoryHost & { requests: EmitRequest[] } {
  const host = createMemoryHost();
  const requests: EmitRequest[] = [];
  return {
    ...host,
    requests,
    events: { emit: (req) => (requests.push(req), host.events.emit(req)) },
  };
}

const EMIT_THEN_FAIL = script(`
  const first = await ctx.emit('order.enriched', { id: input.id, total: 42 });
  const second = await ctx.emit('order.enriched', { id: input.id, again: true });
  if (ctx.run.attempt === 1) throw new ctx.errors.TransientError('flaky after emitting');
  return { first, second };
`);

describe('ctx.emit', () => {
  it('emits with an ordinal memo key, and a retry gets the same events without emitting again', async () => {
    const host = countingHost();
    const failed = await sandbox.runAttempt(request(EMIT_THEN_FAIL, { host, input: { id: 'o-1' } }));
    expect(failed.status).toBe('failed');
    expect(host.requests.map((r) => r.key)).toEqual(['1:order.enriched', '2:order.enriched']);
    expect(host.emitted.size).toBe(2);
    expect(failed.recording.calls.filter((c) => c.kind === 'emit')).toEqual([
      expect.objectContaining({
        kind: 'emit',
        name: 'order.enriched',
        value: expect.objectContaining({ eventId: 'memory-event-1' }),
      }),
      expect.objectContaining({
        kind: 'emit',
        value: expect.objectContaining({ eventId: 'memory-event-2' }),
      }),
    ]);

    const retried = await sandbox.runAttempt(
      request(EMIT_THEN_FAIL, { host, input: { id: 'o-1' }, run: { ...RUN, attempt: 2 } }),
    );
    expect(retried.error).toBeUndefined();
    expect(retried.output).toEqual({
      first: { eventId: 'memory-event-1', runs: 0, skipped: [] },
      second: { eventId: 'memory-event-2', runs: 0, skipped: [] },
    });
    // The host was asked with the same keys, and stored nothing new.
    expect(host.emitted.size).toBe(2);
    expect(host.emitted.get('1:order.enriched')?.payload).toEqual({ id: 'o-1', total: 42 });
  });

  it('serves an emit before a wait from the recording when the run resumes', async () => {
    const source = script(`
      const emitted = await ctx.emit('report.ready', { n: 1 });
      await ctx.sleep(1000);
      return emitted.eventId;
    `);
    const host = countingHost();
    const first = await sandbox.runAttempt(request(source, { host }));
    expect(first.status).toBe('waiting');
    expect(host.requests).toHaveLength(1);
    const resumed = await sandbox.runAttempt(
      request(source, {
        host,
        run: { ...RUN, attempt: 2 },
        resume: { recording: first.recording, answer: undefined },
      }),
    );
    expect(resumed.error).toBeUndefined();
    expect(resumed.output).toBe('memory-event-1');
    expect(host.requests).toHaveLength(1);
  });

  it('never reaches the host in a replay', async () => {
    const source = script(`return ctx.emit('report.ready', null);`);
    const recorded = await sandbox.runAttempt(request(source));
    const untouchable: HostServices = {
      ...createMemoryHost(),
      events: { emit: () => Promise.reject(new Error('emitted during a replay')) },
    };
    const replayed = await sandbox.runAttempt(
      request(source, { host: untouchable, replay: recorded.recording }),
    );
    expect(replayed.error).toBeUndefined();
    expect(replayed.output).toEqual(recorded.output);
  });

  it('refuses a bad name, an unserialisable payload and one too large, before anything is emitted', async () => {
    const host = countingHost();
    const result = await sandbox.runAttempt(
      request(
        script(`
          const codes = [];
          for (const call of [
            () => ctx.emit('Order Created', {}),
            () => ctx.emit('', {}),
            () => ctx.emit('order.created', { f: () => 1, n: 1n }),
            () => ctx.emit('order.created', 'x'.repeat(70000)),
          ]) {
            try { await call(); codes.push('none'); } catch (e) { codes.push(e.code + ' ' + e.name + ': ' + e.message); }
          }
          return codes;
        `),
        { host },
      ),
    );
    expect(result.error).toBeUndefined();
    expect(result.output).toEqual([
      expect.stringMatching(/^INVALID_EVENT_NAME TypeError: ctx\.emit: "Order Created" is not an event name/),
      expect.stringMatching(/^INVALID_REQUEST TypeError: /),
      expect.stringMatching(/^INVALID_VALUE TypeError: /),
      expect.stringMatching(/^EVENT_PAYLOAD_TOO_LARGE RangeError: .*65536 bytes/),
    ]);
    expect(host.requests).toHaveLength(0);
  });

  it('fails the attempt with the policy refusal, even when the script catches it', async () => {
    const refusing: HostServices = {
      ...createMemoryHost(),
      events: {
        emit: async (): Promise<EmitOutcome> => ({
          ok: false,
          code: 'EVENT_CYCLE',
          message: 'ctx.emit("ping") refused: it would start "C" again',
        }),
      },
    };
    const result = await sandbox.runAttempt(
      request(script(`try { await ctx.emit('ping', {}); } catch (e) { return e.code; }`), { host: refusing }),
    );
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ name: 'PolicyError', code: 'EVENT_CYCLE' });
    expect(result.recording.calls.at(-1)).toMatchObject({
      kind: 'emit',
      name: 'ping',
      error: { code: 'EVENT_CYCLE' },
    });
  });
});
