/** HostServices.fetched: what tracing learns of each live ctx.fetch, and only of live ones. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryHost } from './memory-host';
import { Sandbox } from './sandbox';
import { request, script, startServer, type TestServer } from './spec-helpers';
import type { FetchObservation, HostServices } from './types';

let server: TestServer;
let sandbox: Sandbox;

beforeAll(async () => {
  server = await startServer((req, res) => {
    res.statusCode = req.url?.startsWith('/missing') ? 404 : 200;
    res.end('{}');
  });
  sandbox = new Sandbox({ poolSize: 1, allowPrivateNetwork: true, fetchTimeoutMs: 2000 });
});

afterAll(async () => {
  await sandbox.close();
  await server.close();
});

function observingHost(): HostServices & { seen: FetchObservation[] } {
  const seen: FetchObservation[] = [];
  return { ...createMemoryHost(), fetched: (observation) => seen.push(observation), seen };
}

describe('HostServices.fetched', () => {
  it('reports each live fetch once it is over: method, scheme, host, port, status and timing, never the path or query', async () => {
    const host = observingHost();
    const before = Date.now();
    const source = script(`
      await ctx.fetch('http://127.0.0.1:${server.port}/orders?token=hunter2');
      await ctx.fetch('http://127.0.0.1:${server.port}/missing', { method: 'post', body: 'x' });
      try { await ctx.fetch('http://127.0.0.1:1/refused'); } catch (error) { return error.code; }
    `);
    const hosts = [`127.0.0.1:${server.port}`, '127.0.0.1:1'];
    const result = await sandbox.runAttempt(request(source, { host, hosts }));
    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    expect(host.seen).toHaveLength(3);
    expect(host.seen[0]).toEqual({
      method: 'GET',
      scheme: 'http',
      host: '127.0.0.1',
      port: server.port,
      status: 200,
      startedAt: expect.any(Number),
      durationMs: expect.any(Number),
    });
    expect(host.seen[1]).toMatchObject({ method: 'POST', status: 404 });
    expect(host.seen[2]).toMatchObject({ port: 1, errorCode: result.output });
    expect(host.seen[2]!.status).toBeUndefined();
    for (const seen of host.seen) {
      expect(seen.startedAt).toBeGreaterThanOrEqual(before);
      expect(seen.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(JSON.stringify(host.seen)).not.toMatch(/orders|token|hunter2|refused/);

    // A replay serves the same fetches from the recording: nothing went out, nothing is reported.
    const replayHost = observingHost();
    const replayed = await sandbox.runAttempt(
      request(source, { host: replayHost, hosts, replay: result.recording }),
    );
    expect(replayed.status).toBe('succeeded');
    expect(replayHost.seen).toEqual([]);
  });

  it('leaves the attempt alone when the observer throws', async () => {
    const host: HostServices = {
      ...createMemoryHost(),
      fetched: () => {
        throw new Error('observer broke');
      },
    };
    const result = await sandbox.runAttempt(
      request(script(`return (await ctx.fetch('http://127.0.0.1:${server.port}/')).status;`), {
        host,
        hosts: [`127.0.0.1:${server.port}`],
      }),
    );
    expect(result.status).toBe('succeeded');
    expect(result.output).toBe(200);
  });
});
