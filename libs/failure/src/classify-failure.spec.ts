import type { AttemptError, HostCallRecord, Recording } from '@mendflow/sandbox';
import { describe, expect, it } from 'vitest';
import { classifyFailure } from './classify-failure';
import type { ClassifierInput, FailureAction, FailureClass } from './types';

// ---- builders: an attempt's leftovers in a line each ----

function err(name: string, message: string, extra: Partial<AttemptError> = {}): AttemptError {
  return { name, message, ...extra };
}

function res(
  url: string,
  status: number,
  opts: { body?: string; headers?: Record<string, string>; method?: string } = {},
): HostCallRecord {
  return {
    kind: 'fetch',
    request: { method: opts.method ?? 'GET', url },
    response: { status, statusText: '', headers: opts.headers ?? {}, body: opts.body ?? '{}' },
    durationMs: 40,
  };
}

function net(url: string, code: string, durationMs = 40): HostCallRecord {
  return {
    kind: 'fetch',
    request: { method: 'GET', url },
    error: { code, message: `${code} ${url}` },
    durationMs,
  };
}

function pending(url: string, durationMs: number): HostCallRecord {
  return { kind: 'fetch', request: { method: 'GET', url }, durationMs };
}

function secret(name: string, present: boolean, denied?: string): HostCallRecord {
  return { kind: 'secret', name, present, ...(denied ? { denied } : {}) };
}

function rec(...calls: HostCallRecord[]): Recording {
  return { version: 1, calls };
}

const CRM = 'https://crm.example.com/api/leads';
const CHAT = 'https://chat.example.com/hook';
const EVIL = 'https://evil.example.com/steal';

/** The action each class must lead to, stated here independently of the implementation. */
const EXPECTED_ACTION: Record<FailureClass, FailureAction> = {
  transient: 'retry',
  logic: 'repair',
  auth: 'escalate',
  policy: 'escalate',
  unknown: 'escalate',
};

interface Case {
  name: string;
  input: ClassifierInput;
  class: FailureClass;
  /** A key part of the reason a person reads. */
  reason: string | RegExp;
  evidence?: Record<string, unknown>;
}

const cases: Case[] = [
  // ---- policy ----
  {
    name: 'fetch to a host outside permissions.hosts',
    input: {
      error: err('Error', 'HOST_NOT_ALLOWED', { code: 'HOST_NOT_ALLOWED', location: 'script.js:3:9' }),
      recording: rec(net(EVIL, 'HOST_NOT_ALLOWED')),
    },
    class: 'policy',
    reason: "fetch to evil.example.com is not allowed by the manifest's permissions.hosts",
    evidence: {
      rule: 'policy.host_not_allowed',
      host: 'evil.example.com',
      code: 'HOST_NOT_ALLOWED',
      caught: false,
    },
  },
  {
    name: "a fetch beyond the approval's caps",
    input: {
      error: err('PolicyError', 'would be fetch #2 after the approval, but its caps.maxFetches is 1', {
        code: 'APPROVAL_CAP_EXCEEDED',
      }),
      recording: rec({
        kind: 'fetch',
        request: { method: 'GET', url: CRM },
        error: {
          code: 'APPROVAL_CAP_EXCEEDED',
          message:
            'ctx.fetch GET crm.example.com would be fetch #2 after the approval, but its caps.maxFetches is 1',
        },
        durationMs: 0,
      }),
    },
    class: 'policy',
    reason:
      'the script fetched beyond what its approval allows (ctx.fetch GET crm.example.com would be fetch #2 after the approval, but its caps.maxFetches is 1)',
    evidence: {
      rule: 'policy.approval_cap',
      code: 'APPROVAL_CAP_EXCEEDED',
      host: 'crm.example.com',
      caught: false,
    },
  },
  {
    name: 'host refusal without a recorded call takes the host from the message',
    input: {
      error: err('Error', 'fetch to https://evil.example.com/x is not allowed', { code: 'HOST_NOT_ALLOWED' }),
      recording: rec(),
    },
    class: 'policy',
    reason: 'fetch to evil.example.com is not allowed',
    evidence: { host: 'evil.example.com' },
  },
  {
    name: 'private address refused',
    input: {
      error: err('Error', 'private address', { code: 'PRIVATE_ADDRESS' }),
      recording: rec(net('http://10.0.0.5/admin', 'PRIVATE_ADDRESS')),
    },
    class: 'policy',
    reason: /fetch to 10\.0\.0\.5 was refused .*private or loopback/,
    evidence: { rule: 'policy.private_address', host: '10.0.0.5' },
  },
  {
    name: 'secret not declared in permissions.secrets',
    input: {
      error: err('Error', 'secret not declared', { code: 'SECRET_NOT_DECLARED' }),
      recording: rec(secret('STRIPE_KEY', false, 'SECRET_NOT_DECLARED')),
    },
    class: 'policy',
    reason:
      "the script asked for secret STRIPE_KEY, which the manifest's permissions.secrets does not declare",
    evidence: { secret: 'STRIPE_KEY' },
  },
  {
    name: 'FETCH_LIMIT code is a budget violation',
    input: {
      error: err('Error', 'too many fetches', { code: 'FETCH_LIMIT' }),
      recording: rec(res(CRM, 200), res(CRM, 200), net(CRM, 'FETCH_LIMIT')),
    },
    class: 'policy',
    reason: "more fetches than the manifest's limits.maxFetches allows (2 made)",
    evidence: { rule: 'policy.budget.fetches', limit: 'fetches', fetches: 2 },
  },
  {
    name: 'fetches limit',
    input: { error: err('LimitError', 'fetch limit', { limit: 'fetches' }), recording: rec(res(CRM, 200)) },
    class: 'policy',
    reason: 'limits.maxFetches',
    evidence: { limit: 'fetches' },
  },
  {
    name: 'host_calls limit',
    input: {
      error: err('LimitError', 'host calls', { limit: 'host_calls' }),
      recording: rec(secret('A', true), secret('A', true), secret('A', true)),
    },
    class: 'policy',
    reason: 'more host calls than the server allows (3 recorded)',
    evidence: { limit: 'host_calls', hostCalls: 3 },
  },
  {
    name: 'log limit',
    input: { error: err('LimitError', 'log too big', { limit: 'log' }), recording: rec() },
    class: 'policy',
    reason: 'limits.maxLogBytes',
    evidence: { limit: 'log' },
  },
  {
    name: 'result limit',
    input: { error: err('LimitError', 'result too big', { limit: 'result' }), recording: rec() },
    class: 'policy',
    reason: 'limits.maxResultBytes',
    evidence: { limit: 'result' },
  },
  {
    name: 'a declared TransientError cannot downgrade a caught host refusal',
    input: {
      error: err('TransientError', 'try later', { declaredClass: 'transient', location: 'script.js:7:11' }),
      recording: rec(net(EVIL, 'HOST_NOT_ALLOWED')),
    },
    class: 'policy',
    reason:
      /not allowed by the manifest's permissions\.hosts; the script caught the refusal and then failed \(TransientError at script\.js:7:11/,
    evidence: { host: 'evil.example.com', caught: true },
  },
  {
    name: 'a TypeError after a swallowed host refusal is still policy',
    input: {
      error: err('TypeError', "Cannot read properties of undefined (reading 'json')"),
      recording: rec(net(EVIL, 'HOST_NOT_ALLOWED')),
    },
    class: 'policy',
    reason: "script read property 'json' of undefined",
    evidence: { caught: true },
  },
  {
    name: 'a declared LogicError cannot downgrade a denied secret',
    input: {
      error: err('LogicError', 'no key', { declaredClass: 'logic' }),
      recording: rec(secret('STRIPE_KEY', false, 'SECRET_NOT_DECLARED')),
    },
    class: 'policy',
    reason: 'secret STRIPE_KEY',
    evidence: { rule: 'policy.secret_not_declared', caught: true },
  },

  // ---- auth ----
  {
    name: 'declared secret without a value',
    input: {
      error: err('Error', 'secret CRM_TOKEN is missing', { code: 'SECRET_MISSING' }),
      recording: rec(secret('CRM_TOKEN', false)),
    },
    class: 'auth',
    reason: 'secret CRM_TOKEN has no value; set it with PUT /api/v1/secrets/CRM_TOKEN',
    evidence: { rule: 'auth.secret_missing', secret: 'CRM_TOKEN' },
  },
  {
    name: 'SECRET_MISSING without a recorded lookup takes the name from the message',
    input: {
      error: err('Error', "secret 'CRM_TOKEN' has no value", { code: 'SECRET_MISSING' }),
      recording: rec(),
    },
    class: 'auth',
    reason: 'secret CRM_TOKEN has no value',
    evidence: { secret: 'CRM_TOKEN' },
  },
  {
    name: '401 from the service',
    input: {
      error: err('Error', 'crm answered 401', { location: 'script.js:4:25' }),
      recording: rec(secret('CRM_TOKEN', true), res(CRM, 401)),
    },
    class: 'auth',
    reason: 'crm.example.com answered 401 (Unauthorized): the service rejected the credentials',
    evidence: { rule: 'fetch.auth', host: 'crm.example.com', status: 401, count: 1 },
  },
  {
    name: '403 followed by a TypeError on the error body',
    input: {
      error: err('TypeError', "Cannot read properties of undefined (reading 'length')"),
      recording: rec(res(CRM, 403)),
    },
    class: 'auth',
    reason: 'crm.example.com answered 403 (Forbidden)',
    evidence: { status: 403 },
  },
  {
    name: 'an earlier 401 the error message points at',
    input: {
      error: err('Error', 'crm.example.com refused us'),
      recording: rec(res(CRM, 401), res(CHAT, 200)),
    },
    class: 'auth',
    reason: 'crm.example.com answered 401',
    evidence: { host: 'crm.example.com', status: 401 },
  },
  {
    name: 'declared AuthError',
    input: {
      error: err('AuthError', 'token expired', { declaredClass: 'auth', location: 'script.js:9:13' }),
      recording: rec(res(CRM, 200)),
    },
    class: 'auth',
    reason: 'the script reported an auth failure: token expired (AuthError at script.js:9:13)',
    evidence: { rule: 'declared.auth', declaredClass: 'auth' },
  },
  {
    name: 'a missing secret the script then tripped over',
    input: {
      error: err('TypeError', "Cannot read properties of undefined (reading 'trim')"),
      recording: rec(secret('CRM_TOKEN', false)),
    },
    class: 'auth',
    reason: 'secret CRM_TOKEN has no value',
  },
  {
    name: 'a declared AuthError wins over a 503 in the recording',
    input: {
      error: err('AuthError', 'account locked', { declaredClass: 'auth' }),
      recording: rec(res(CRM, 503)),
    },
    class: 'auth',
    reason: 'account locked',
  },

  // ---- transient ----
  {
    name: '503 three times',
    input: {
      error: err('Error', 'crm answered 503'),
      recording: rec(res(CRM, 503), res(CRM, 503), res(CRM, 503)),
    },
    class: 'transient',
    reason: 'crm.example.com answered 503 three times',
    evidence: {
      rule: 'fetch.transient_status',
      host: 'crm.example.com',
      status: 503,
      count: 3,
      outcomes: { '503': 3 },
    },
  },
  {
    name: '429 with Retry-After',
    input: {
      error: err('Error', 'rate limited'),
      recording: rec(res(CRM, 429, { headers: { 'Retry-After': '30' } })),
    },
    class: 'transient',
    reason: 'crm.example.com answered 429, asking the script to slow down',
    evidence: { status: 429, retryAfter: '30' },
  },
  {
    name: 'a JSON parse error on an HTML 502 page is the 502, not a bug',
    input: {
      error: err('SyntaxError', 'Unexpected token \'<\', "<html>" is not valid JSON'),
      recording: rec(res(CRM, 502, { body: '<html>' })),
    },
    class: 'transient',
    reason: 'crm.example.com answered 502',
    evidence: { status: 502 },
  },
  {
    name: '504',
    input: { error: err('Error', 'gateway'), recording: rec(res(CRM, 504)) },
    class: 'transient',
    reason: 'answered 504',
  },
  {
    name: '500 twice, counted per host and status',
    input: { error: err('Error', 'boom'), recording: rec(res(CRM, 500), res(CHAT, 500), res(CRM, 500)) },
    class: 'transient',
    reason: 'crm.example.com answered 500 twice',
    evidence: { count: 2 },
  },
  {
    name: '408',
    input: { error: err('Error', 'slow'), recording: rec(res(CRM, 408)) },
    class: 'transient',
    reason: 'answered 408',
  },
  {
    name: 'connection refused, as the fetch rejection',
    input: {
      error: err('TypeError', 'fetch failed', { code: 'ECONNREFUSED' }),
      recording: rec(net(CRM, 'ECONNREFUSED')),
    },
    class: 'transient',
    reason: 'fetch to crm.example.com failed with ECONNREFUSED (connection refused)',
    evidence: { rule: 'network.error', networkCode: 'ECONNREFUSED', host: 'crm.example.com' },
  },
  {
    name: 'ETIMEDOUT on the error without a recording',
    input: { error: err('Error', 'connect ETIMEDOUT 1.2.3.4:443', { code: 'ETIMEDOUT' }), recording: rec() },
    class: 'transient',
    reason: 'a fetch failed with ETIMEDOUT (timed out)',
    evidence: { networkCode: 'ETIMEDOUT' },
  },
  {
    name: 'socket hang up in a rethrown message',
    input: {
      error: err('Error', 'request to https://crm.example.com/api failed: socket hang up'),
      recording: rec(),
    },
    class: 'transient',
    reason: 'fetch to crm.example.com failed with "socket hang up"',
  },
  {
    name: 'ENOTFOUND in the recording, error thrown by the script',
    input: {
      error: err('Error', 'could not reach the CRM'),
      recording: rec(net(CRM, 'ENOTFOUND'), net(CRM, 'ENOTFOUND')),
    },
    class: 'transient',
    reason: 'fetch to crm.example.com failed with ENOTFOUND (host name not found) twice',
    evidence: { rule: 'fetch.network', networkCode: 'ENOTFOUND', count: 2 },
  },
  {
    name: 'undici connect timeout',
    input: {
      error: err('ConnectTimeoutError', 'Connect Timeout Error', { code: 'UND_ERR_CONNECT_TIMEOUT' }),
      recording: rec(),
    },
    class: 'transient',
    reason: 'UND_ERR_CONNECT_TIMEOUT',
  },
  {
    name: 'EAI_AGAIN named only in the message',
    input: { error: err('Error', 'getaddrinfo EAI_AGAIN crm.example.com'), recording: rec() },
    class: 'transient',
    reason: 'EAI_AGAIN (DNS lookup failed temporarily)',
  },
  {
    name: 'declared TransientError',
    input: {
      error: err('TransientError', 'crm is busy', { declaredClass: 'transient' }),
      recording: rec(res(CRM, 200)),
    },
    class: 'transient',
    reason: 'the script reported a transient failure: crm is busy',
    evidence: { rule: 'declared.transient' },
  },
  {
    name: 'a declared TransientError wins over a 401',
    input: {
      error: err('TransientError', 'token service warming up', { declaredClass: 'transient' }),
      recording: rec(res(CRM, 401)),
    },
    class: 'transient',
    reason: 'token service warming up',
  },
  {
    name: 'wall timeout while a fetch was still in flight',
    input: {
      error: err('Error', 'timed out', { limit: 'timeout' }),
      recording: rec(res(CRM, 200), pending('https://slow.example.com/report?x=1', 29_000)),
    },
    class: 'transient',
    reason: 'ran out of wall time while waiting for slow.example.com to answer GET /report',
    evidence: { rule: 'limit.timeout.io', host: 'slow.example.com', limit: 'timeout' },
  },
  {
    name: 'wall timeout spent mostly waiting (cost says so)',
    input: {
      error: err('Error', 'timed out', { limit: 'timeout' }),
      recording: rec(res(CRM, 200)),
      cost: { wallMs: 30_000, cpuMs: 300 },
    },
    class: 'transient',
    reason: 'of which only 0.3 s was computing: it was mostly waiting on I/O',
    evidence: { cpuShare: 0.01, wallMs: 30_000 },
  },
  {
    name: 'wall timeout after slow fetches (no cost given)',
    input: {
      error: err('Error', 'timed out', { code: 'TIMEOUT' }),
      recording: rec(res(CRM, 200), { ...res(CRM, 200), durationMs: 12_000 } as HostCallRecord),
    },
    class: 'transient',
    reason: 'its fetches took 12 s in all',
    evidence: { limit: 'timeout', ioMs: 12_040 },
  },
  {
    name: 'wall timeout right after a fetch timed out',
    input: {
      error: err('Error', 'timed out', { limit: 'timeout' }),
      recording: rec(net(CRM, 'ETIMEDOUT', 10_000)),
    },
    class: 'transient',
    reason: 'after a fetch to crm.example.com timed out (ETIMEDOUT)',
  },

  // ---- logic ----
  {
    name: 'field renamed: TypeError after a 200',
    input: {
      error: err('TypeError', "Cannot read properties of undefined (reading 'name')", {
        location: 'script.js:4:17',
      }),
      recording: rec(res(CRM, 200, { body: '{"leads":[{"fullName":"x"}]}' })),
    },
    class: 'logic',
    reason: "script read property 'name' of undefined (TypeError at script.js:4:17)",
    evidence: { rule: 'logic.TypeError', lastFetch: { host: 'crm.example.com', status: 200 } },
  },
  {
    name: 'ReferenceError',
    input: {
      error: err('ReferenceError', 'leads is not defined', { location: 'script.js:2:3' }),
      recording: rec(),
    },
    class: 'logic',
    reason: 'script used leads, which is not defined (ReferenceError at script.js:2:3)',
  },
  {
    name: 'not a function',
    input: { error: err('TypeError', 'data.items.map is not a function'), recording: rec(res(CRM, 200)) },
    class: 'logic',
    reason: 'script called data.items.map, which is not a function',
  },
  {
    name: 'JSON of a 200 response has the wrong shape',
    input: {
      error: err('SyntaxError', 'Unexpected end of JSON input', { location: 'script.js:5:30' }),
      recording: rec(res(CRM, 200, { body: '' })),
    },
    class: 'logic',
    reason: 'the response from crm.example.com (200) was not the JSON the script expected',
    evidence: { rule: 'logic.json_shape', host: 'crm.example.com', status: 200 },
  },
  {
    name: 'SyntaxError in the script itself',
    input: {
      error: err('SyntaxError', 'Unexpected identifier', { location: 'script.js:1:10' }),
      recording: rec(),
    },
    class: 'logic',
    reason: 'SyntaxError at script.js:1:10: Unexpected identifier',
  },
  {
    name: 'RangeError that is not a limit',
    input: { error: err('RangeError', 'Invalid array length'), recording: rec() },
    class: 'logic',
    reason: 'RangeError: Invalid array length',
  },
  {
    name: 'stack overflow',
    input: {
      error: err('RangeError', 'Maximum call stack size exceeded', { location: 'script.js:12:5' }),
      recording: rec(),
    },
    class: 'logic',
    reason: 'script recursed too deeply (stack overflow) (RangeError at script.js:12:5)',
  },
  {
    name: 'failed assertion',
    input: { error: err('AssertionError', 'expected 3 leads, got 0'), recording: rec(res(CRM, 200)) },
    class: 'logic',
    reason: 'an assertion in the script failed: expected 3 leads, got 0',
    evidence: { rule: 'logic.assertion' },
  },
  {
    name: 'home-made assert',
    input: { error: err('Error', 'Assertion failed: leads must be an array'), recording: rec(res(CRM, 200)) },
    class: 'logic',
    reason: 'an assertion in the script failed',
  },
  {
    name: 'declared LogicError',
    input: {
      error: err('LogicError', 'unexpected payload', { declaredClass: 'logic' }),
      recording: rec(res(CRM, 503)),
    },
    class: 'logic',
    reason: 'the script reported a logic failure: unexpected payload',
    evidence: { declaredClass: 'logic' },
  },
  {
    name: 'CPU limit',
    input: {
      error: err('Error', 'cpu', { limit: 'cpu' }),
      recording: rec(),
      cost: { wallMs: 5000, cpuMs: 5000 },
    },
    class: 'logic',
    reason: 'used up its CPU time',
    evidence: { rule: 'limit.cpu', limit: 'cpu', cpuMs: 5000 },
  },
  {
    name: 'a promise that can never settle (deadlock proven by the sandbox)',
    input: {
      error: err('TimeoutError', 'The script is waiting for a promise that can never settle', {
        limit: 'timeout',
        code: 'NEVER_SETTLED',
      }),
      recording: rec(),
      cost: { wallMs: 3, cpuMs: 0.5 },
    },
    class: 'logic',
    reason: 'can never settle',
    evidence: { rule: 'limit.never_settled', code: 'NEVER_SETTLED' },
  },
  {
    name: 'memory limit',
    input: {
      error: err('Error', 'Isolate was disposed during execution due to memory limit', { limit: 'memory' }),
      recording: rec(res(CRM, 200)),
    },
    class: 'logic',
    reason: 'ran out of memory',
    evidence: { limit: 'memory' },
  },
  {
    name: 'wall timeout spent computing (cost says so)',
    input: {
      error: err('Error', 'timed out', { limit: 'timeout' }),
      recording: rec(res(CRM, 200)),
      cost: { wallMs: 30_000, cpuMs: 29_500 },
    },
    class: 'logic',
    reason: 'ran out of wall time computing (29.5 s of CPU in 30 s)',
    evidence: { rule: 'limit.timeout.compute' },
  },
  {
    name: 'wall timeout without I/O (no cost given)',
    input: { error: err('Error', 'timed out', { limit: 'timeout' }), recording: rec(res(CRM, 200)) },
    class: 'logic',
    reason: 'ran out of wall time without waiting on I/O',
    evidence: { ioMs: 40 },
  },
  {
    name: '404: the endpoint moved',
    input: { error: err('Error', 'crm answered 404'), recording: rec(res(CRM, 404)) },
    class: 'logic',
    reason: 'crm.example.com answered 404 (Not Found) to GET /api/leads: the request no longer fits',
    evidence: { rule: 'fetch.request_misfit', status: 404 },
  },
  {
    name: '422: the body no longer fits',
    input: { error: err('Error', 'rejected'), recording: rec(res(CHAT, 422, { method: 'post' })) },
    class: 'logic',
    reason: 'chat.example.com answered 422 (Unprocessable Content) to POST /hook',
  },
  {
    name: 'replay mismatch',
    input: {
      error: err('Error', 'expected fetch GET https://crm.example.com, got kv.get', {
        code: 'REPLAY_MISMATCH',
      }),
      recording: rec(),
    },
    class: 'logic',
    reason: 'replay mismatch',
  },
  {
    name: 'resume mismatch',
    input: {
      error: err('ResumeMismatchError', 'Resume mismatch at call #3: the recording has ctx.kv.get("a")', {
        code: 'RESUME_MISMATCH',
      }),
      recording: rec(),
    },
    class: 'logic',
    reason: 'resume mismatch',
    evidence: { rule: 'resume.mismatch' },
  },
  {
    name: 'a wait started while other host calls were in flight',
    input: {
      error: err('WaitError', 'The script started a wait while 1 other host call(s) were still in flight', {
        code: 'WAIT_WHILE_BUSY',
      }),
      recording: rec(pending(CRM, 10)),
    },
    class: 'logic',
    reason: 'must await them first',
    evidence: { rule: 'wait.while_busy' },
  },
  {
    name: 'a 503 the script recovered from does not explain a later TypeError',
    input: {
      error: err('TypeError', "Cannot read properties of null (reading 'id')"),
      recording: rec(res(CRM, 503), res(CRM, 200)),
    },
    class: 'logic',
    reason: "script read property 'id' of null",
  },

  // ---- unknown ----
  {
    name: 'plain Error with no evidence',
    input: { error: err('Error', 'no leads', { location: 'script.js:6:9' }), recording: rec() },
    class: 'unknown',
    reason: 'the script failed (Error at script.js:6:9: no leads) and nothing in the attempt shows',
    evidence: { rule: 'unknown' },
  },
  {
    name: 'plain Error after a good response',
    input: { error: err('Error', 'nothing to do'), recording: rec(res(CRM, 200)) },
    class: 'unknown',
    reason: 'nothing in the attempt shows',
    evidence: { lastFetch: { host: 'crm.example.com', status: 200 } },
  },
  {
    name: '409 conflict is not for Mendflow to guess',
    input: { error: err('Error', 'conflict'), recording: rec(res(CRM, 409)) },
    class: 'unknown',
    reason: 'crm.example.com answered 409 before the script failed',
    evidence: { rule: 'fetch.undecided', status: 409 },
  },
  {
    name: 'expired certificate',
    input: { error: err('Error', 'certificate has expired'), recording: rec(net(CRM, 'CERT_HAS_EXPIRED')) },
    class: 'unknown',
    reason: 'fetch to crm.example.com failed with CERT_HAS_EXPIRED',
  },
  {
    name: 'an undici error that a retry does not fix',
    input: { error: err('Error', 'too big'), recording: rec(net(CRM, 'UND_ERR_RES_EXCEEDED_MAX_SIZE')) },
    class: 'unknown',
    reason: 'UND_ERR_RES_EXCEEDED_MAX_SIZE',
  },
  {
    name: 'a custom error with an unfamiliar code',
    input: { error: err('CrmError', 'quota', { code: 'CRM_QUOTA' }), recording: rec() },
    class: 'unknown',
    reason: 'CrmError: quota',
    evidence: { error: { name: 'CrmError', code: 'CRM_QUOTA' } },
  },
  {
    name: 'cancelled is not a failure',
    input: { error: err('Error', 'cancelled', { limit: 'cancelled' }), recording: rec(pending(CRM, 100)) },
    class: 'unknown',
    reason: 'cancelled on request',
    evidence: { rule: 'cancelled', limit: 'cancelled' },
  },
];

describe('classifyFailure', () => {
  it('has at least 40 cases covering every class', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    const classes = new Set(cases.map((c) => c.class));
    expect([...classes].sort()).toEqual(['auth', 'logic', 'policy', 'transient', 'unknown']);
  });

  it.each(cases)('$class: $name', (c) => {
    const result = classifyFailure(c.input);
    expect(result.class).toBe(c.class);
    expect(result.action).toBe(EXPECTED_ACTION[c.class]);
    if (typeof c.reason === 'string') expect(result.reason).toContain(c.reason);
    else expect(result.reason).toMatch(c.reason);
    if (c.evidence) expect(result.evidence).toMatchObject(c.evidence);
    expect(result.evidence).toMatchObject({ rule: expect.any(String), error: { name: c.input.error.name } });
  });

  it('opens the inbox item that fits the class, and none for a cancellation', () => {
    const kind = (input: ClassifierInput) => classifyFailure(input).inboxKind;
    expect(kind({ error: err('Error', 'x', { code: 'SECRET_MISSING' }), recording: rec() })).toBe(
      'auth_required',
    );
    expect(kind({ error: err('Error', 'x', { code: 'HOST_NOT_ALLOWED' }), recording: rec() })).toBe(
      'policy_violation',
    );
    expect(kind({ error: err('Error', 'x'), recording: rec() })).toBe('unknown_failure');
    expect(kind({ error: err('Error', 'x', { limit: 'cancelled' }), recording: rec() })).toBeUndefined();
    expect(kind({ error: err('TypeError', 'x'), recording: rec() })).toBeUndefined();
    expect(kind({ error: err('Error', 'x'), recording: rec(res(CRM, 503)) })).toBeUndefined();
  });

  it('is deterministic, leaves its input alone and returns JSON-safe data', () => {
    const input: ClassifierInput = {
      error: err('Error', 'crm answered 503'),
      recording: rec(res(CRM, 503), res(CRM, 503)),
      attempt: 2,
    };
    const before = structuredClone(input);
    const first = classifyFailure(input);
    expect(classifyFailure(input)).toEqual(first);
    expect(input).toEqual(before);
    expect(JSON.parse(JSON.stringify(first))).toEqual(first);
    expect(first.evidence).toMatchObject({ attempt: 2 });
  });

  it('keeps query strings (which may carry keys) and bodies out of the evidence', () => {
    const result = classifyFailure({
      error: err('Error', 'crm answered 503'),
      recording: rec(
        res('https://crm.example.com/api/leads?api_key=sk_live_123', 503, { body: 'secret-body' }),
      ),
    });
    const stored = JSON.stringify(result);
    expect(stored).not.toContain('sk_live_123');
    expect(stored).not.toContain('secret-body');
    expect(result.evidence).toMatchObject({ fetch: { path: '/api/leads' } });
  });

  it('does not throw on a malformed recording or error', () => {
    const recording = {
      version: 1,
      calls: [null, { kind: 'fetch' }, { kind: 'secret' }],
    } as unknown as Recording;
    expect(classifyFailure({ error: err('Error', 'x'), recording }).class).toBe('unknown');
    const broken = { version: 1 } as unknown as Recording;
    expect(classifyFailure({ error: { message: 'x' } as AttemptError, recording: broken }).class).toBe(
      'unknown',
    );
  });

  it('keeps the reason to one readable line however long the message is', () => {
    const result = classifyFailure({ error: err('Error', `bad\n${'x'.repeat(5000)}`), recording: rec() });
    expect(result.reason).not.toContain('\n');
    expect(result.reason.length).toBeLessThan(400);
  });
});
