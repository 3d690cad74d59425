import { REDACTED } from '@mendflow/sandbox';
import type { HostCallRecord } from '@mendflow/sandbox';
import { describe, expect, it } from 'vitest';
import {
  buildRepairRequest,
  MAX_CALL_BODY,
  MAX_HOST_CALLS,
  type RepairFacts,
  sourceLineOf,
  summarizeCalls,
} from './repair-request';

const source = [
  'export default async function run(input, ctx) {',
  "  const res = await ctx.fetch('https://crm.example.com/contacts');",
  '  const body = await res.json();',
  '  return body.contact.email;',
  '}',
].join('\n');

const fetchCall = (i: number, body = `{"i":${i}}`): HostCallRecord => ({
  kind: 'fetch',
  request: { method: 'GET', url: `https://crm.example.com/contacts?page=${i}` },
  response: { status: 200, statusText: 'OK', headers: { 'set-cookie': 'session=abc' }, body },
  durationMs: 3,
  at: 1000 + i,
});

const facts = (overrides: Partial<RepairFacts['failing']> = {}): RepairFacts => ({
  automation: { id: 'a1', name: 'crm-sync' },
  version: {
    number: 3,
    source,
    language: 'javascript',
    manifest: { permissions: { hosts: ['crm.example.com'] } },
  },
  failing: {
    input: { id: 7 },
    error: {
      name: 'TypeError',
      message: "Cannot read properties of undefined (reading 'email')",
      location: 'script.js:4:22',
      stack: 'TypeError: …\n    at run (script.js:4:22)',
    },
    classification: { class: 'logic', reason: 'TypeError in the script' },
    recording: { version: 1, calls: [fetchCall(1, '{"contact_info":{"email":"x@y"}}')] },
    ...overrides,
  },
  successes: [{ input: { id: 6 }, output: 'a@b' }],
});

describe('buildRepairRequest', () => {
  it('tells the provider the language of a TypeScript version, and the TypeScript line that failed', () => {
    const tsSource = [
      'type Contact = { email: string };',
      'export default async function run(input: { id: number }, ctx: any): Promise<string> {',
      '  const body = (await (await ctx.fetch(`https://crm.example.com/c/${input.id}`)).json()) as { contact: Contact };',
      '  return body.contact.email;',
      '}',
    ].join('\n');
    const request = buildRepairRequest({
      ...facts(),
      version: { number: 4, source: tsSource, language: 'typescript', manifest: {} },
    });
    expect(request.language).toBe('typescript');
    expect(request.source).toBe(tsSource);
    expect(request.error.sourceLine).toBe('return body.contact.email;');
  });

  it('assembles the request from the failing attempt, the automation and the recent successes', () => {
    expect(buildRepairRequest(facts())).toEqual({
      automation: { id: 'a1', name: 'crm-sync' },
      version: 3,
      language: 'javascript',
      source,
      manifest: { permissions: { hosts: ['crm.example.com'] } },
      error: {
        name: 'TypeError',
        message: "Cannot read properties of undefined (reading 'email')",
        location: 'script.js:4:22',
        stack: 'TypeError: …\n    at run (script.js:4:22)',
        sourceLine: 'return body.contact.email;',
      },
      classification: { class: 'logic', reason: 'TypeError in the script' },
      input: { id: 7 },
      hostCalls: [
        {
          kind: 'fetch',
          request: { method: 'GET', url: 'https://crm.example.com/contacts?page=1' },
          status: 200,
          body: '{"contact_info":{"email":"x@y"}}',
          error: undefined,
        },
      ],
      recentSuccesses: [{ input: { id: 6 }, output: 'a@b' }],
    });
  });

  it('stands in for an attempt that stored no error, classification or recording', () => {
    const request = buildRepairRequest(facts({ error: null, classification: null, recording: null }));
    expect(request.error).toEqual({
      name: 'Error',
      message: 'unknown',
      location: undefined,
      stack: undefined,
      sourceLine: undefined,
    });
    expect(request.classification).toEqual({ class: 'logic', reason: 'unknown' });
    expect(request.hostCalls).toEqual([]);
  });

  it('gives only the input and output of each success, not its recording', () => {
    const request = buildRepairRequest({
      ...facts(),
      successes: [{ input: 1, output: 2, recording: { version: 1, calls: [] } } as never],
    });
    expect(request.recentSuccesses).toEqual([{ input: 1, output: 2 }]);
  });

  it('never carries a secret value: recordings hold secrets as name and presence, served values redacted', () => {
    const secretValue = 'sk-live-0123456789';
    const request = buildRepairRequest(
      facts({
        recording: {
          version: 1,
          calls: [
            // A secret record as the sandbox writes it; a stray value would be dropped too.
            { kind: 'secret', name: 'CRM_TOKEN', present: true, value: secretValue },
            {
              kind: 'fetch',
              request: { method: 'GET', url: `https://crm.example.com/contacts?token=${REDACTED}` },
              response: {
                status: 401,
                statusText: 'Unauthorized',
                headers: { authorization: `Bearer ${REDACTED}`, 'set-cookie': 'session=abc' },
                body: `{"error":"bad token ${REDACTED}"}`,
              },
              durationMs: 5,
            },
          ],
        },
      }),
    );
    const text = JSON.stringify(request);
    expect(text).not.toContain(secretValue);
    expect(text).not.toContain('session=abc'); // response headers are not passed on
    expect(request.hostCalls[0]).toEqual({ kind: 'secret', name: 'CRM_TOKEN', present: true });
    expect(request.hostCalls[1]).toMatchObject({
      request: { url: `https://crm.example.com/contacts?token=${REDACTED}` },
      status: 401,
      body: `{"error":"bad token ${REDACTED}"}`,
    });
  });
});

describe('summarizeCalls', () => {
  it(`keeps the last ${MAX_HOST_CALLS} calls, in order`, () => {
    const calls = Array.from({ length: 80 }, (_, i) => fetchCall(i));
    const summary = summarizeCalls({ version: 1, calls }) as { request: { url: string } }[];
    expect(summary).toHaveLength(MAX_HOST_CALLS);
    expect(summary[0]!.request.url).toMatch(/page=30$/);
    expect(summary.at(-1)!.request.url).toMatch(/page=79$/);
  });

  it(`cuts a response body to ${MAX_CALL_BODY} characters`, () => {
    const [call] = summarizeCalls({ version: 1, calls: [fetchCall(1, 'x'.repeat(5000))] }) as {
      body: string;
    }[];
    expect(call!.body).toHaveLength(MAX_CALL_BODY);
  });

  it('gives a failed fetch its error and no status or body', () => {
    const call: HostCallRecord = {
      kind: 'fetch',
      request: { method: 'POST', url: 'https://down.example.com/' },
      error: { code: 'ECONNREFUSED', message: 'connection refused' },
      durationMs: 1,
    };
    expect(summarizeCalls({ version: 1, calls: [call] })).toEqual([
      {
        kind: 'fetch',
        request: call.request,
        status: undefined,
        body: undefined,
        error: { code: 'ECONNREFUSED', message: 'connection refused' },
      },
    ]);
  });

  it('passes other calls on as recorded', () => {
    const calls: HostCallRecord[] = [
      { kind: 'time', value: 1 },
      { kind: 'kv.get', key: 'cursor', value: 5 },
      { kind: 'step', name: 'load', cached: true, value: [1] },
      { kind: 'secret', name: 'MISSING', present: false, denied: 'not in the manifest', at: 2 },
    ];
    expect(summarizeCalls({ version: 1, calls })).toEqual(calls);
  });
});

describe('sourceLineOf', () => {
  it('finds the trimmed line an error location points at', () => {
    expect(sourceLineOf(source, 'script.js:3:18')).toBe('const body = await res.json();');
    expect(sourceLineOf(source, 'file:///x/script.js:1:1')).toBe(
      'export default async function run(input, ctx) {',
    );
  });

  it('finds nothing without a usable location', () => {
    expect(sourceLineOf(source)).toBeUndefined();
    expect(sourceLineOf(source, 'script.js')).toBeUndefined();
    expect(sourceLineOf(source, 'script.js:0:1')).toBeUndefined();
    expect(sourceLineOf(source, 'script.js:99:1')).toBeUndefined();
  });
});
