import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient } from './support/client';
import {
  bodyFor,
  contractBreach,
  credentialsFor,
  encodingFor,
  type FuzzRequest,
  hostileJson,
  hostileNumber,
  hostileString,
  type JsonSchema,
  materialize,
  nested,
  queryFor,
  segmentFor,
  STABLE_CODE,
  toJsonText,
} from './support/fuzz';
import { connectLive } from './support/live';
import { ADMIN, BOOTSTRAP_KEY, type Stack, startStack } from './support/stack';

// Issue 9 §2: no input answers 5xx, and every 4xx is { error: { code, message, details? } }. A
// property-based walk of every operation of the OpenAPI document the API serves, with malformed,
// oversized, deeply nested, NUL/surrogate-laden and wrong-typed path parameters, queries and bodies.
// Deterministic (a fixed seed per operation) and bounded: RUNS_PER_OPERATION requests per operation.

const SEED = 20_260_509;
const RUNS_PER_OPERATION = 60;
const SOCKET_RUNS = 60;

interface Operation {
  method: string;
  path: string;
  operationId: string;
  parameters: { name: string; in: string; schema?: JsonSchema }[];
  body?: JsonSchema;
}

interface Answer {
  status: number;
  contentType: string | null;
  text: string;
}

let stack: Stack;
let api: Api;
const fixtures = { automations: [] as string[], runs: [] as string[], apiKeys: [] as string[] };
const statusCounts = new Map<number, number>();
const socketOutcomes = new Map<string, number>();
const countSocket = (outcome: string) => socketOutcomes.set(outcome, (socketOutcomes.get(outcome) ?? 0) + 1);

function tally(status: number): void {
  statusCounts.set(status, (statusCounts.get(status) ?? 0) + 1);
}

async function send(request: FuzzRequest): Promise<Answer> {
  const response = await fetch(`${stack.apiUrl}${request.path}${request.query}`, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal: AbortSignal.timeout(20_000),
  });
  const answer = {
    status: response.status,
    contentType: response.headers.get('content-type'),
    text: await response.text(),
  };
  tally(answer.status);
  return answer;
}

function describeRequest(request: FuzzRequest): string {
  const body =
    request.body === undefined
      ? ''
      : ` body ${request.body.length > 300 ? `${request.body.slice(0, 300)}… (${request.body.length} chars)` : request.body}`;
  return `${request.method} ${request.path}${request.query.slice(0, 300)} headers ${JSON.stringify(request.headers).slice(0, 200)}${body}`;
}

/** Sends raw bytes (what fetch refuses to send) and returns the answer's status line and body. */
function sendRaw(bytes: string): Promise<{ status: number; contentType: string | null; text: string }> {
  const { hostname, port } = new URL(stack.apiUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', ...rest] = answer.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      const contentType = /^content-type: *(.+)$/im.exec(head)?.[1]?.trim() ?? null;
      tally(status);
      resolve({ status, contentType, text: rest.join('\r\n\r\n') });
    });
  });
}

function operationsOf(document: { paths: Record<string, Record<string, Record<string, any>>> }): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      operations.push({
        method: method.toUpperCase(),
        path,
        operationId: operation.operationId,
        parameters: operation.parameters ?? [],
        body: operation.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  // Deletions last, so the fixtures they remove serve every other operation first.
  return operations.sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
}

/** Ids that exist, for the path parameters of each resource, so requests reach past the lookup. */
function fixturesFor(path: string): string[] {
  if (path.startsWith('/api/v1/automations/')) return fixtures.automations;
  if (path.startsWith('/api/v1/runs/')) return fixtures.runs;
  if (path.startsWith('/api/v1/api-keys/')) return fixtures.apiKeys;
  if (path.startsWith('/api/v1/secrets/')) return ['FUZZ_SECRET', 'ANOTHER_ONE'];
  return [];
}

const SOURCE = 'export default async function run(input) { return input; }';
const word = fc.stringMatching(/^[a-z]{6,12}$/);

/** A body each operation accepts, for the fuzz to break one field of at a time. */
function exampleFor(operation: Operation): fc.Arbitrary<Record<string, unknown>> | undefined {
  const examples: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
    'POST /api/v1/lint': fc.constant({ source: SOURCE, manifest: {} }),
    'POST /api/v1/automations': word.map((name) => ({
      name,
      description: 'd',
      source: SOURCE,
      manifest: {},
    })),
    'PATCH /api/v1/automations/{id}': word.map((name) => ({ name, description: 'd', status: 'active' })),
    'POST /api/v1/automations/{id}/versions': fc.constant({ source: SOURCE, manifest: {} }),
    'POST /api/v1/automations/{id}/rollback': fc.constant({ version: 1 }),
    'POST /api/v1/automations/{id}/runs': word.map((key) => ({ input: { n: 1 }, idempotencyKey: key })),
    'PUT /api/v1/secrets/{name}': fc.constant({ value: 'v' }),
    'POST /api/v1/inbox/{id}/resolve': fc.constant({ action: 'retry', comment: 'c' }),
    'POST /api/v1/auth/login': fc.constant({ email: ADMIN.email, password: 'not the password' }),
    'POST /api/v1/api-keys': word.map((name) => ({ name })),
  };
  return examples[`${operation.method} ${operation.path}`];
}

function requestFor(operation: Operation): fc.Arbitrary<FuzzRequest> {
  const pathParameters = operation.parameters.filter((p) => p.in === 'path');
  const segments = fc.tuple(...pathParameters.map(() => segmentFor(fixturesFor(operation.path))));
  const query = queryFor(operation.parameters.filter((p) => p.in === 'query'));
  // fetch sends no body with GET; other operations without a documented body get hostile ones anyway.
  const body =
    operation.method === 'GET'
      ? fc.constant(null)
      : operation.body
        ? fc.option(encodingFor(bodyFor(operation.body, exampleFor(operation))), { freq: 10 })
        : fc.option(encodingFor(hostileJson()), { freq: 2 });
  return fc
    .tuple(segments, query, body, credentialsFor(BOOTSTRAP_KEY))
    .map(([values, search, encoded, credentials]) => {
      let path = operation.path;
      pathParameters.forEach((parameter, i) => (path = path.replace(`{${parameter.name}}`, values[i] ?? '')));
      return {
        method: operation.method,
        path,
        query: search,
        headers: { ...credentials, ...(encoded?.contentType && { 'content-type': encoded.contentType }) },
        body: encoded?.body,
      };
    });
}

async function createAutomation(name: string, manifest?: unknown): Promise<string> {
  const created = await api('POST', '/api/v1/automations', { name, source: SOURCE, manifest });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
}

beforeAll(async () => {
  stack = await startStack('fuzz', { redisDb: 3, worker: false });
  api = apiClient(stack.apiUrl);
  fixtures.automations.push(
    await createAutomation('fuzz plain'),
    await createAutomation('fuzz typed', {
      inputSchema: { type: 'object', properties: { n: { type: 'integer' } } },
    }),
    await createAutomation('fuzz spare'),
  );
  for (const automationId of fixtures.automations.slice(0, 2)) {
    const run = await api('POST', `/api/v1/automations/${automationId}/runs`, { input: { n: 1 } });
    expect(run.status, JSON.stringify(run.body)).toBe(202);
    fixtures.runs.push(run.body.id as string);
  }
  // A key of its own to revoke: the bootstrap key must outlive the walk.
  const key = await api('POST', '/api/v1/api-keys', { name: 'fuzz spare' });
  fixtures.apiKeys.push(key.body.id as string);
  expect((await api('PUT', '/api/v1/secrets/FUZZ_SECRET', { value: 'v' })).status).toBe(200);
});

afterAll(async () => {
  await stack?.stop();
});

describe('no 5xx for any input, one error envelope everywhere (issue 9 §2)', () => {
  it('answers the inputs that were 500s, and the framework refusals, with a 4xx and a stable code naming the field', async () => {
    const automationId = fixtures.automations[0]!;
    const runs = `/api/v1/automations/${automationId}/runs`;
    const source = 'export default async function run() {}';
    const cases: [string, string, unknown, number, string, string?][] = [
      ['POST', '/api/v1/automations', { name: 'a\u0000b', source }, 400, 'INVALID_CHARACTERS', 'name'],
      [
        'POST',
        '/api/v1/automations',
        { name: 'ok', description: 'x\ud800', source },
        400,
        'INVALID_CHARACTERS',
        'description',
      ],
      [
        'PATCH',
        `/api/v1/automations/${automationId}`,
        { description: '\u0000' },
        400,
        'INVALID_CHARACTERS',
        'description',
      ],
      ['POST', '/api/v1/api-keys', { name: 'k\u0000' }, 400, 'INVALID_CHARACTERS', 'name'],
      [
        'POST',
        '/api/v1/auth/login',
        { email: 'a\u0000@b.c', password: 'x' },
        400,
        'INVALID_CHARACTERS',
        'email',
      ],
      ['POST', runs, { input: { rows: ['\u0000'] } }, 400, 'INVALID_CHARACTERS', 'input.rows[0]'],
      ['POST', runs, { input: { '\udc00': 1 } }, 400, 'INVALID_CHARACTERS', 'input["\\udc00"]'],
      ['POST', runs, { idempotencyKey: 'key\ud800' }, 400, 'INVALID_CHARACTERS', 'idempotencyKey'],
      ['PUT', '/api/v1/secrets/FUZZ_SECRET', { value: '\ud800' }, 400, 'INVALID_CHARACTERS', 'value'],
      ['POST', runs, { input: nested(5_000, 'array') }, 400, 'JSON_TOO_DEEP'],
      ['POST', '/api/v1/lint', { source, manifest: nested(65, 'object') }, 400, 'JSON_TOO_DEEP'],
      [
        'POST',
        `/api/v1/automations/${automationId}/rollback`,
        { version: 2 ** 31 },
        400,
        'VALIDATION_FAILED',
        'version',
      ],
      ['GET', '/api/v1/runs?createdFrom=99999-01-01', undefined, 400, 'VALIDATION_FAILED', 'createdFrom'],
      ['GET', '/api/v1/runs?createdFrom=-271821-04-20', undefined, 400, 'VALIDATION_FAILED', 'createdFrom'],
      ['GET', '/api/v1/runs?createdTo=1969-12-31', undefined, 400, 'VALIDATION_FAILED', 'createdTo'],
      ['GET', '/api/v1/audit?createdTo=0000-01-01', undefined, 400, 'VALIDATION_FAILED', 'createdTo'],
      [
        'GET',
        `/api/v1/runs/${fixtures.runs[0]}/events?after=3000000000`,
        undefined,
        400,
        'VALIDATION_FAILED',
        'after',
      ],
      ['GET', '/api/v1/runs?cursor=%00', undefined, 400, 'INVALID_CHARACTERS', 'cursor'],
      [
        'GET',
        `/api/v1/runs?cursor=${Buffer.from('+099999-01-01T00:00:00Z|0b6f4a8e-3c1d-4e2f-9a7b-5c6d7e8f9a0b').toString('base64url')}`,
        undefined,
        400,
        'INVALID_CURSOR',
      ],
      ['GET', '/api/v1/nope', undefined, 404, 'NOT_FOUND'],
      ['PUT', '/api/v1/automations', undefined, 405, 'METHOD_NOT_ALLOWED'],
      ['OPTIONS', '/api/v1/automations', undefined, 405, 'METHOD_NOT_ALLOWED'],
      ['GET', '/api/v1/%E0%A4%A', undefined, 400, 'BAD_REQUEST'],
      ['GET', '/api/v1/automations/%E0%A4%A', undefined, 400, 'BAD_REQUEST'],
    ];
    for (const [method, path, body, status, code, field] of cases) {
      const answer = await api(
        method,
        path,
        body === undefined ? undefined : toJsonText(body),
        method === 'OPTIONS'
          ? { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST' }
          : {},
      );
      tally(answer.status);
      const what = `${method} ${path.slice(0, 120)} → ${JSON.stringify(answer.body).slice(0, 300)}`;
      expect(answer.status, what).toBe(status);
      expect(answer.body.error.code, what).toBe(code);
      if (field) expect(answer.body.error.details.issues[0].path, what).toBe(field);
    }

    const put = await fetch(`${stack.apiUrl}/api/v1/automations`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${BOOTSTRAP_KEY}` },
    });
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST');

    // A body of another type no longer starts a run with the body ignored.
    const before = (await api('GET', `/api/v1/runs?automationId=${automationId}`)).body.items.length;
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
      const answer = await api('POST', runs, '{"input":1}', { 'content-type': contentType });
      tally(answer.status);
      expect(answer.status).toBe(415);
      expect(answer.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
    expect((await api('GET', `/api/v1/runs?automationId=${automationId}`)).body.items.length).toBe(before);

    const huge = await api('POST', runs, { input: 'x'.repeat(1_100_000) });
    tally(huge.status);
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers what the HTTP parser refuses in the envelope too', async () => {
    for (const [bytes, status, code] of [
      ['GET /healthz HTTP/1.1\r\nHost: x\r\nX-Odd: a\u0000b\r\n\r\n', 400, 'BAD_REQUEST'],
      ['GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\rb\r\n\r\n', 400, 'BAD_REQUEST'],
      [`GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
      ['BREW /coffee HTCPCP/1.0\r\n\r\n', 400, 'BAD_REQUEST'],
    ] as const) {
      const answer = await sendRaw(bytes);
      expect(answer.status).toBe(status);
      expect(contractBreach(answer.status, answer.contentType, answer.text)).toBeUndefined();
      expect(JSON.parse(answer.text).error.code).toBe(code);
    }
  });

  it('walks every operation of the served OpenAPI document with malformed input: no 5xx, every 4xx in the envelope', async () => {
    const document = (await (await fetch(`${stack.apiUrl}/api/openapi.json`)).json()) as Parameters<
      typeof operationsOf
    >[0];
    const operations = operationsOf(document);
    expect(operations.length).toBeGreaterThanOrEqual(30);
    const before = new Map(statusCounts);
    const started = Date.now();
    const failures: string[] = [];
    for (const [index, operation] of operations.entries()) {
      try {
        await fc.assert(
          fc.asyncProperty(requestFor(operation), async (request) => {
            const answer = await send(request);
            const breach = contractBreach(answer.status, answer.contentType, answer.text);
            if (breach)
              throw new Error(`${breach}: ${describeRequest(request)} → ${answer.text.slice(0, 400)}`);
          }),
          { seed: SEED + index, numRuns: RUNS_PER_OPERATION, endOnFailure: true },
        );
      } catch (error) {
        failures.push(
          `${operation.method} ${operation.path}: ${(error as Error).message.split('\n').slice(0, 12).join('\n')}`,
        );
      }
    }
    const walk = [...statusCounts]
      .map(([status, count]) => [status, count - (before.get(status) ?? 0)] as const)
      .filter(([, n]) => n > 0);
    const total = walk.reduce((sum, [, n]) => sum + n, 0);
    console.log(
      `fuzz walk: ${operations.length} operations × ${RUNS_PER_OPERATION} = ${total} requests in ${Date.now() - started} ms; by status: ${walk
        .sort(([a], [b]) => a - b)
        .map(([status, n]) => `${status}: ${n}`)
        .join(', ')}`,
    );
    expect(failures, failures.join('\n\n')).toEqual([]);
  });

  it('refuses malformed live-event handshakes and subscriptions with a stable code, never INTERNAL', async () => {
    const tokens = fc.oneof(
      hostileString.filter((t) => t.length < 10_000),
      hostileNumber,
      fc.constantFrom({}, [], null, true),
    );
    const headers = fc.constantFrom<Record<string, string> | undefined>(
      undefined,
      { authorization: 'Bearer \u00e9\u00ff' },
      { authorization: `Bearer ${'k'.repeat(8000)}` },
      { cookie: 'mf_session=%E0%A4%A' },
      { cookie: 'mf_session=x', origin: 'https://elsewhere.example' },
    );
    await fc.assert(
      fc.asyncProperty(tokens, headers, async (token, extraHeaders) => {
        const refused = await connectLive(stack.apiUrl, {
          token: token as string,
          headers: extraHeaders,
        }).then(
          (client) => {
            client.close();
            return 'connected';
          },
          (error: { data?: { code?: string } }) => error.data?.code,
        );
        countSocket(`handshake ${refused}`);
        expect(['UNAUTHENTICATED', 'FORBIDDEN_ORIGIN']).toContain(refused);
      }),
      { seed: SEED, numRuns: 30, endOnFailure: true },
    );

    const client = await connectLive(stack.apiUrl, { token: BOOTSTRAP_KEY });
    try {
      const id = fc.oneof(
        fc.constantFrom(...fixtures.runs, ...fixtures.automations),
        fc.uuid(),
        hostileJson(1_000),
      );
      const payloads = fc.oneof(
        fc.record(
          { runId: id, afterSeq: fc.oneof(hostileNumber, hostileJson(1_000)) },
          { requiredKeys: ['runId'] },
        ),
        fc.record({ automationId: id }),
        fc.record({ workspace: fc.oneof(fc.constant(true), hostileJson(1_000)) }),
        hostileJson(1_000),
      );
      await fc.assert(
        fc.asyncProperty(payloads, fc.constantFrom('subscribe', 'unsubscribe'), async (payload, event) => {
          const ack = (await client.socket.timeout(10_000).emitWithAck(event, materialize(payload))) as {
            ok: boolean;
            error?: { code: string };
          };
          countSocket(`${event} ${ack.ok ? 'ok' : ack.error?.code}`);
          if (ack.ok) return;
          expect(ack.error?.code).toMatch(STABLE_CODE);
          expect(ack.error?.code).not.toBe('INTERNAL');
        }),
        { seed: SEED, numRuns: SOCKET_RUNS, endOnFailure: true },
      );
    } finally {
      client.close();
    }
  });

  it('is still healthy afterwards, and logged no failed request', async () => {
    const ready = await fetch(`${stack.apiUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok' });
    expect(stack.logs()).not.toMatch(
      /request [0-9a-f-]{36} failed|subscription failed|could not authenticate/,
    );
    console.log(
      `live events: ${[...socketOutcomes]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([outcome, n]) => `${outcome}: ${n}`)
        .join(', ')}`,
    );
    console.log(
      `fuzz spec, every request by status: ${[...statusCounts]
        .sort(([a], [b]) => a - b)
        .map(([status, n]) => `${status}: ${n}`)
        .join(', ')}`,
    );
  });
});
