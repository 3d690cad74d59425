import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpDrain } from './http-drain';

// A server whose `/slow` requests wait until the test releases them.
async function serve() {
  const held: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/slow') held.push(res);
    else res.end('fast');
  });
  const drain = new HttpDrain(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { server, drain, port, held };
}

function get(port: number, path: string, agent?: import('node:http').Agent) {
  return new Promise<{ status: number; body: string; connection?: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body, connection: res.headers.connection }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function until(condition: () => boolean) {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

let open: Server | undefined;
afterEach(() => {
  open?.closeAllConnections();
  open?.close();
  open = undefined;
});

describe('HttpDrain', () => {
  it('lets a request under way finish, refuses new connections, and reports nothing cut', async () => {
    const { server, drain, port, held } = await serve();
    open = server;
    const slow = get(port, '/slow');
    await until(() => held.length === 1);
    expect(drain.requestsInFlight).toBe(1);

    const drained = drain.drain(10_000);
    await expect(get(port, '/')).rejects.toThrow(/ECONNREFUSED/);
    held[0]!.end('done');
    expect(await slow).toMatchObject({ status: 200, body: 'done' });
    expect(await drained).toEqual({ abandoned: 0 });
    expect(server.listening).toBe(false);
  });

  it('finishes a response on a kept-alive connection, then closes that connection', async () => {
    const { server, drain, port, held } = await serve();
    open = server;
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 2 });
    const slow = get(port, '/slow', agent);
    await until(() => held.length === 1);
    const drained = drain.drain(10_000);
    held[0]!.end('done');
    expect((await slow).body).toBe('done');
    expect(await drained).toEqual({ abandoned: 0 });
    agent.destroy();
  });

  it('cuts what is still under way when the grace runs out, and says how many', async () => {
    const { server, drain, port, held } = await serve();
    open = server;
    const slow = get(port, '/slow').catch((error: Error) => error);
    await until(() => held.length === 1);
    expect(await drain.drain(50)).toEqual({ abandoned: 1 });
    expect(await slow).toBeInstanceOf(Error);
  });

  it('returns at once when nothing is under way', async () => {
    const { server, drain } = await serve();
    open = server;
    expect(await drain.drain(60_000)).toEqual({ abandoned: 0 });
  });
});
