import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient } from './support/client';
import { BOOTSTRAP_KEY, type Stack, startStack } from './support/stack';

let stack: Stack;
let api: Api;

beforeAll(async () => {
  // LOG_LEVEL info: the drain's summary line is what this test reads.
  stack = await startStack('api_lifecycle', { redisDb: 14, apiEnv: { LOG_LEVEL: 'info' } });
  api = apiClient(stack.apiUrl);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

/** A live client as the dashboard and the SDK connect: reconnecting by itself. */
function liveClient(): Promise<Socket> {
  const socket = io(`${stack.apiUrl}/events`, {
    transports: ['websocket'],
    auth: { token: BOOTSTRAP_KEY },
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

describe('API graceful shutdown (SIGTERM)', () => {
  it('finishes the request under way, tells live sockets to reconnect, and they do once an API is back', async () => {
    const automation = await api('POST', '/api/v1/automations', {
      name: 'slow-hook',
      source:
        'export default async function run(input, ctx) { await ctx.sleep(2000); return "after the drain"; }',
      manifest: { triggers: [{ type: 'webhook' }] },
    });
    expect(automation.status, JSON.stringify(automation.body)).toBe(201);
    const token = await api('POST', `/api/v1/automations/${automation.body.id}/webhook/token`);
    expect(token.status).toBe(201);

    const socket = await liveClient();
    const disconnected = new Promise<string>((resolve) =>
      socket.once('disconnect', (reason) => resolve(reason)),
    );

    // A webhook caller waiting for the run's output: a request that lasts about two seconds.
    const waited = fetch(`${stack.apiUrl}/api/v1/hooks/${automation.body.id}/${token.body.token}?wait=20`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    // The run exists once the hook accepted the call: the request is now under way.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const runs = await api('GET', `/api/v1/runs?automationId=${automation.body.id}`);
      if (runs.body.items.length > 0) break;
      if (Date.now() > deadline) throw new Error('the webhook call never created its run');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const stopped = stack.api().stop('SIGTERM', 30_000);
    // Socket.IO reports a server-side disconnect as "io server disconnect" (and then stays away); a
    // transport closed under it is what makes it reconnect.
    expect(await disconnected).toBe('transport close');

    const answer = await waited;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toBe('after the drain');
    await stopped;
    expect(stack.api().output()).toMatch(
      /drained: 1 live connection\(s\) told to reconnect, 0 request\(s\) cut/,
    );

    const reconnected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    await stack.restartApi();
    await reconnected;
    expect(socket.connected).toBe(true);
    socket.close();
  }, 90_000);
});
