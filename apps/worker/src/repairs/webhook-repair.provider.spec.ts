import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RepairRequest } from './repair-provider';
import { WebhookRepairProvider } from './webhook-repair.provider';

// A real local HTTP server plays the webhook that proposes repairs.
let server: Server;
let url: string;
let received: { body: unknown; authorization?: string }[] = [];
let answer: { status: number; body: string } = { status: 200, body: '{}' };

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ body: JSON.parse(body), authorization: request.headers.authorization });
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/repair`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const request: RepairRequest = {
  automation: { id: 'a1', name: 'crm-sync' },
  version: 3,
  language: 'javascript',
  source: 'export default async function run(input) { return input.x.y; }',
  manifest: {},
  error: { name: 'TypeError', message: "Cannot read properties of undefined (reading 'y')" },
  classification: { class: 'logic', reason: 'TypeError' },
  input: { x: null },
  hostCalls: [],
  recentSuccesses: [],
};

describe('WebhookRepairProvider', () => {
  it('POSTs the repair request as JSON with the key, and takes { source, explanation } back', async () => {
    received = [];
    answer = {
      status: 200,
      body: JSON.stringify({ source: 'export default async () => 1', explanation: 'guarded x' }),
    };
    const provider = new WebhookRepairProvider({ url, apiKey: 'hook-key', timeoutMs: 5000 });
    const proposal = await provider.propose(request, new AbortController().signal);
    expect(proposal).toMatchObject({
      source: 'export default async () => 1',
      explanation: 'guarded x',
      promptTokens: 0,
    });
    expect(received[0]).toEqual({ body: request, authorization: 'Bearer hook-key' });
  });

  it('refuses an answer without a source, and a failing webhook, with a clear message', async () => {
    const provider = new WebhookRepairProvider({ url, timeoutMs: 5000 });
    answer = { status: 200, body: JSON.stringify({ explanation: 'no idea' }) };
    await expect(provider.propose(request, new AbortController().signal)).rejects.toThrow(
      /no "source" string/,
    );
    answer = { status: 502, body: 'bad gateway' };
    await expect(provider.propose(request, new AbortController().signal)).rejects.toThrow(/answered 502/);
  });
});
