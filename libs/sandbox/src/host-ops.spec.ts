/**
 * The host side of host calls on its own: requests are crafted here as a subverted isolate could send
 * them, past every check of the bootstrap, and the host still refuses each bad one before it stores,
 * records or sends anything (the host never trusts the isolate).
 */
import { compileHostPatterns } from '@mendflow/common';
import { describe, expect, it } from 'vitest';
import { HostOps, type OpEnvironment } from './host-ops';
import { HOST_CALL_BOUNDS, resolveLimits } from './limits';
import { createMemoryHost, type MemoryHost } from './memory-host';
import { CallLog } from './recording';
import { Redactor } from './redaction';
import { manifest } from './spec-helpers';
import type { AttemptError } from './types';

interface Harness {
  ops: HostOps;
  host: MemoryHost;
  log: CallLog;
  violations: AttemptError[];
  hostErrors: unknown[];
}

function harness(host: MemoryHost = createMemoryHost()): Harness {
  const m = manifest({ hosts: ['api.test'], secrets: ['API_KEY'] });
  const log = new CallLog();
  const violations: AttemptError[] = [];
  const hostErrors: unknown[] = [];
  const env: OpEnvironment = {
    manifest: m,
    limits: resolveLimits(m),
    host,
    log,
    replay: undefined,
    now: () => Date.now(),
    redactor: new Redactor(),
    hostAllowed: compileHostPatterns(['api.test']),
    fetchEnvironment: () => {
      throw new Error('no request may reach the network in these tests');
    },
    onViolation: (error) => violations.push(error),
    onLimit: () => {
      throw new Error('no limit is reached in these tests');
    },
    onHostError: (error) => hostErrors.push(error),
  };
  return { ops: new HostOps(env), host, log, violations, hostErrors };
}

async function refusal(h: Harness, op: string, payload: string) {
  const { reply } = await h.ops.handle(op, payload);
  expect(reply.ok).toBe(false);
  return (reply as { error: { name: string; code?: string; message: string } }).error;
}

/** Nothing of a refused call is kept: the recording holds no record, the host stores nothing. */
function expectUntouched(h: Harness): void {
  expect(h.log.snapshot(new Redactor()).calls).toEqual([]);
  expect(h.host.kvStore.size).toBe(0);
  expect(h.host.stepStore.size).toBe(0);
  expect(h.violations).toEqual([]);
  expect(h.hostErrors).toEqual([]);
}

const json = JSON.stringify;
const fetchRequest = (fields: Record<string, unknown>) =>
  json({ url: 'https://api.test/x', method: 'GET', headers: {}, redirect: 'follow', ...fields });

describe('HostOps refuses what the isolate should never have sent', () => {
  it.each([
    ['secret', json('API\u0000KEY'), /ctx\.secrets\.get: the name contains a NUL character \(U\+0000\)/],
    ['secret', json('API_KEY\ud800'), /ctx\.secrets\.get: the name contains a lone UTF-16 surrogate/],
    ['kv.get', json('a\u0000b'), /ctx\.kv\.get: the key contains a NUL/],
    ['kv.delete', json('\udc00'), /ctx\.kv\.delete: the key contains a lone/],
    ['step.get', json('s\u0000'), /ctx\.step: the name contains a NUL/],
    ['kv.set', json({ key: 'k\u0000', value: 1 }), /ctx\.kv\.set: the key contains a NUL/],
    [
      'kv.set',
      json({ key: 'k', value: { a: [{ b: 'x\u0000' }] } }),
      /the value contains a NUL character \(U\+0000\) at \$\.a\[0\]\.b/,
    ],
    [
      'kv.set',
      json({ key: 'k', value: { 'odd\ud800': 1 } }),
      /the value contains a lone .* at \$\["odd\\ud800"\]/,
    ],
    ['fetch', fetchRequest({ url: 'https://api.test/\u0000' }), /ctx\.fetch: the URL contains a NUL/],
    ['fetch', fetchRequest({ method: 'G\ud800' }), /ctx\.fetch: init\.method contains a lone/],
    ['fetch', fetchRequest({ headers: { 'x-\u0000': '1' } }), /ctx\.fetch: a header name contains a NUL/],
    ['fetch', fetchRequest({ headers: { 'x-a': '\udfff' } }), /ctx\.fetch: a header value contains a lone/],
  ])('%s %s: INVALID_CHARACTERS', async (op, payload, message) => {
    const h = harness();
    expect(await refusal(h, op, payload)).toMatchObject({
      name: 'TypeError',
      code: 'INVALID_CHARACTERS',
      message,
    });
    expectUntouched(h);
  });

  it('refuses a step result PostgreSQL cannot store, and stores nothing', async () => {
    const h = harness();
    expect((await h.ops.handle('step.get', json('s'))).reply).toEqual({ ok: true, value: { found: false } });
    expect(await refusal(h, 'step.put', json({ name: 's', value: ['ok', { 'k\u0000': 1 }] }))).toMatchObject({
      code: 'INVALID_CHARACTERS',
      message:
        'ctx.step("s"): the result contains a NUL character (U+0000) at $[1]["k\\u0000"], which cannot be stored',
    });
    expect(h.host.stepStore.size).toBe(0);
  });

  it.each([
    ['secret', json('A'.repeat(HOST_CALL_BOUNDS.maxSecretNameLength + 1)), 'NAME_TOO_LONG'],
    ['kv.get', json('k'.repeat(257)), 'NAME_TOO_LONG'],
    // Refused on the length of the payload alone, before it is parsed.
    ['kv.get', json('k'.repeat(2 ** 20)), 'NAME_TOO_LONG'],
    ['step.get', json('s'.repeat(201)), 'NAME_TOO_LONG'],
    ['kv.set', json({ key: 'k', value: 'x'.repeat(70_000) }), 'KV_VALUE_TOO_LARGE'],
    ['kv.set', `{"key":"k","value":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, 'KV_VALUE_TOO_LARGE'],
    ['kv.set', json({ key: 'k', value: JSON.parse('['.repeat(65) + ']'.repeat(65)) }), 'VALUE_TOO_DEEP'],
    [
      'fetch',
      fetchRequest({ url: `https://api.test/?${'q'.repeat(HOST_CALL_BOUNDS.maxUrlChars)}` }),
      'URL_TOO_LONG',
    ],
    ['fetch', fetchRequest({ method: 'X'.repeat(33) }), 'INVALID_REQUEST'],
    [
      'fetch',
      fetchRequest({ headers: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`x-${i}`, '1'])) }),
      'HEADERS_TOO_LARGE',
    ],
    ['fetch', fetchRequest({ headers: { ['x'.repeat(257)]: '1' } }), 'HEADERS_TOO_LARGE'],
    ['fetch', fetchRequest({ headers: { 'x-a': 'v'.repeat(8193) } }), 'HEADERS_TOO_LARGE'],
    [
      'fetch',
      fetchRequest({ body: 'b'.repeat(HOST_CALL_BOUNDS.maxFetchBodyChars + 1) }),
      'REQUEST_TOO_LARGE',
    ],
    ['fetch', fetchRequest({ body: 'b'.repeat(HOST_CALL_BOUNDS.maxFetchRequestChars) }), 'REQUEST_TOO_LARGE'],
    ['secret', '42', 'INVALID_REQUEST'],
    ['kv.set', '[1]', 'INVALID_REQUEST'],
    ['fetch', fetchRequest({ headers: { a: 1 } }), 'INVALID_REQUEST'],
  ])('%s over its bound or malformed: %#', async (op, payload, code) => {
    const h = harness();
    expect(await refusal(h, op, payload)).toMatchObject({ code });
    expectUntouched(h);
  });

  it('keeps data a host service returns nested too deeply out of the recording', async () => {
    const deep = JSON.parse('['.repeat(1000) + ']'.repeat(1000)) as unknown;
    const h = harness(createMemoryHost({ kv: { deep } }));
    expect(await refusal(h, 'kv.get', json('deep'))).toMatchObject({ code: 'HOST_SERVICE_ERROR' });
    expect(h.hostErrors).toHaveLength(1);
    const { calls } = h.log.snapshot(new Redactor());
    expect(calls).toEqual([{ kind: 'kv.get', key: 'deep' }]);
  });
});
