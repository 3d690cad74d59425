/**
 * Tracing end to end: the real api and worker processes export their spans over OTLP/HTTP (JSON) to
 * a receiver in this test, and one trace covers a run from the POST that started it to the
 * publication of its last event, through the queue, the worker's attempt and its host calls.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { once } from 'node:events';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient, waitForRun } from './support/client';
import { type Stack, startStack } from './support/stack';
import { json, type StandIn, startStandIn } from './support/stand-ins';

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
  arrayValue?: { values: OtlpValue[] };
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  service: string;
}

// OTLP's span kinds (the protocol's numbering, not @opentelemetry/api's).
const KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

function plain(value: OtlpValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return value.arrayValue.values.map(plain);
  return value;
}
const attributesOf = (list: OtlpAttribute[] = []) =>
  Object.fromEntries(list.map((a) => [a.key, plain(a.value)]));

/** A stand-in OpenTelemetry collector: accepts OTLP/HTTP JSON on /v1/traces and keeps every span. */
async function startReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; close(): Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const server: Server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        response.writeHead(404).end();
        return;
      }
      let body = Buffer.concat(chunks);
      if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const payload = JSON.parse(body.toString()) as {
        resourceSpans: {
          resource: { attributes: OtlpAttribute[] };
          scopeSpans: {
            spans: (Omit<ReceivedSpan, 'attributes' | 'service'> & { attributes: OtlpAttribute[] })[];
          }[];
        }[];
      };
      for (const resource of payload.resourceSpans) {
        const service = String(attributesOf(resource.resource.attributes)['service.name']);
        for (const scope of resource.scopeSpans) {
          for (const span of scope.spans) {
            spans.push({ ...span, attributes: attributesOf(span.attributes), service });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const SECRET_VALUE = 'trace-e2e-s3cr3t-value-9f27';
const INPUT_MARKER = 'input-marker-must-not-be-traced-61c0';

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let upstream: StandIn;
let stack: Stack;
let api: Api;

beforeAll(async () => {
  receiver = await startReceiver();
  upstream = await startStandIn((_request, _body, response) => json(response, 200, { ok: true }));
  const otel = {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
  stack = await startStack('tracing', {
    redisDb: 4,
    apiEnv: otel,
    workerEnv: { ...otel, ALLOW_PRIVATE_NETWORK: 'true' },
  });
  api = apiClient(stack.apiUrl);
});

afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
  await receiver?.close();
});

describe('OpenTelemetry traces over OTLP', () => {
  it('covers a run in one trace, from the POST to its last event, with correct parents and no secret', async () => {
    expect((await api('PUT', '/api/v1/secrets/SHOP_TOKEN', { value: SECRET_VALUE })).status).toBe(200);
    const created = await api('POST', '/api/v1/automations', {
      name: 'traced',
      source: `export default async function run(input, ctx) {
        const token = await ctx.secrets.get('SHOP_TOKEN');
        const response = await ctx.fetch('${upstream.url}/orders?token=' + token, {
          headers: { authorization: 'Bearer ' + token },
        });
        await ctx.kv.set('cursor', { at: input.marker });
        const cursor = await ctx.kv.get('cursor');
        const charged = await ctx.step('charge', async () => ({ status: response.status }));
        return { charged, cursor };
      }`,
      manifest: {
        permissions: { hosts: [new URL(upstream.url).host], secrets: ['SHOP_TOKEN'] },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const started = await api('POST', `/api/v1/automations/${created.body.id}/runs`, {
      input: { marker: INPUT_MARKER },
    });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const run = await waitForRun(api, started.body.id);
    expect(run.status, JSON.stringify(run)).toBe('succeeded');
    expect(upstream.hits.get('/orders')).toBe(1);
    const events = (await api('GET', `/api/v1/runs/${run.id}/events`)).body.items as {
      seq: number;
      type: string;
    }[];
    const last = events.at(-1)!;
    expect(last.type).toBe('run.succeeded');

    // The spans arrive in batches (OTEL_BSP_SCHEDULE_DELAY), each process's in the order they ended:
    // wait for the last to end in each, the POST's server span and the job's consumer span (the last
    // event is published inside it, so before it ends).
    const isLastPublication = (s: ReceivedSpan) =>
      s.name === 'publish run.event' &&
      s.attributes['mendflow.run.id'] === run.id &&
      s.attributes['mendflow.run.event.seq'] === last.seq;
    const isPost = (s: ReceivedSpan) =>
      s.kind === KIND.server && s.name === 'POST /api/v1/automations/:id/runs';
    const isConsumer = (s: ReceivedSpan) =>
      s.name === 'process runs' && s.attributes['mendflow.run.id'] === run.id;
    const deadline = Date.now() + 20_000;
    while (![isLastPublication, isPost, isConsumer].every((p) => receiver.spans.some(p))) {
      if (Date.now() > deadline) {
        throw new Error(`spans missing: ${receiver.spans.map((s) => s.name).join(', ')}\n${stack.logs()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const server = receiver.spans.find(isPost);
    expect(server, receiver.spans.map((s) => s.name).join(', ')).toBeDefined();
    const traceId = server!.traceId;
    const inTrace = receiver.spans.filter((s) => s.traceId === traceId);
    const byId = new Map(inTrace.map((s) => [s.spanId, s]));
    const one = (name: string, kind?: number) => {
      const found = inTrace.filter((s) => s.name === name && (kind === undefined || s.kind === kind));
      expect(
        found.map((s) => s.name),
        `${name} in the trace`,
      ).toEqual([name]);
      return found[0]!;
    };
    const parentOf = (span: ReceivedSpan) => (span.parentSpanId ? byId.get(span.parentSpanId) : undefined);

    // API: the request is the root; run creation inside it; the enqueue inside that.
    expect(server!.parentSpanId || undefined).toBeUndefined();
    expect(server!.service).toBe('mendflow-api');
    expect(server!.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/api/v1/automations/:id/runs',
      'http.response.status_code': 202,
    });
    const create = one('run.create');
    expect(parentOf(create)).toBe(server);
    expect(create.attributes).toMatchObject({
      'mendflow.run.id': run.id,
      'mendflow.automation.id': created.body.id,
      'mendflow.workspace.id': expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    const enqueue = one('publish runs', KIND.producer);
    expect(parentOf(enqueue)).toBe(create);
    expect(enqueue.attributes).toMatchObject({ 'mendflow.run.id': run.id, 'mendflow.run.attempt': 1 });

    // Worker: the job's consumer span continues the producer's, the attempt runs inside it.
    const consume = one('process runs', KIND.consumer);
    expect(consume.service).toBe('mendflow-worker');
    expect(parentOf(consume)).toBe(enqueue);
    const attempt = one('run.attempt');
    expect(parentOf(attempt)).toBe(consume);
    expect(attempt.attributes).toMatchObject({
      'mendflow.run.id': run.id,
      'mendflow.automation.id': created.body.id,
      // The workspace the API recorded the run in (the run's view does not show it).
      'mendflow.workspace.id': create.attributes['mendflow.workspace.id'],
      'mendflow.run.attempt': 1,
      'mendflow.attempt.outcome': 'succeeded',
    });

    // Every host call of the script, as a child of the attempt, in the order the script made them.
    const hostCalls = [
      'ctx.secrets.get',
      'ctx.fetch',
      'ctx.kv.set',
      'ctx.kv.get',
      'ctx.step.get',
      'ctx.step.put',
    ];
    const calls = hostCalls.map((name) => one(name));
    for (const call of calls) {
      expect(parentOf(call), call.name).toBe(attempt);
      expect(call.attributes['mendflow.run.id'], call.name).toBe(run.id);
    }
    expect(calls[0]!.attributes['mendflow.secret.name']).toBe('SHOP_TOKEN');
    const fetchSpan = calls[1]!;
    expect(fetchSpan.kind).toBe(KIND.client);
    expect(fetchSpan.attributes).toMatchObject({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(upstream.url).port),
      'http.response.status_code': 200,
    });

    // The run's last event is published inside the attempt that settled it (its ancestors lead there).
    const publication = inTrace.find(isLastPublication)!;
    expect(publication).toBeDefined();
    const ancestors: ReceivedSpan[] = [];
    for (let span = parentOf(publication); span; span = parentOf(span)) ancestors.push(span);
    expect(ancestors).toContain(attempt);
    expect(ancestors.at(-1)).toBe(server);
    // So is every event of the run: the first (run.queued) by the API, the others by the worker.
    const published = inTrace
      .filter((s) => s.name === 'publish run.event' && s.attributes['mendflow.run.id'] === run.id)
      .map((s) => s.attributes['mendflow.run.event.seq'] as number)
      .sort((a, b) => a - b);
    expect(published).toEqual(events.map((e) => e.seq));

    // No span, anywhere, holds the secret or the script's input.
    const everything = JSON.stringify(receiver.spans);
    expect(everything).not.toContain(SECRET_VALUE);
    expect(everything).not.toContain(INPUT_MARKER);
    expect(everything).not.toContain('token=');
  });

  it('continues a caller trace given in a traceparent header', async () => {
    const callerTrace = '0af7651916cd43dd8448eb211c80319c';
    const callerSpan = 'b7ad6b7169203331';
    const response = await fetch(`${stack.apiUrl}/api/v1/secrets`, {
      headers: {
        authorization: `Bearer ${stack.env.MENDFLOW_BOOTSTRAP_API_KEY}`,
        traceparent: `00-${callerTrace}-${callerSpan}-01`,
      },
    });
    expect(response.status).toBe(200);
    const deadline = Date.now() + 20_000;
    let span: ReceivedSpan | undefined;
    while (!(span = receiver.spans.find((s) => s.traceId === callerTrace && s.kind === KIND.server))) {
      if (Date.now() > deadline) throw new Error('no server span in the caller trace');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(span.parentSpanId).toBe(callerSpan);
    expect(span.name).toBe('GET /api/v1/secrets');
  });
});
