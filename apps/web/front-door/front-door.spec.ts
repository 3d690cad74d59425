import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachFrontDoor, clientAddress, parseTrust, plainAddress, type Trust } from './front-door.mts';

describe('parseTrust (WEB_TRUST_PROXY)', () => {
  it('trusts no one by default', () => {
    for (const raw of [undefined, '', 'false', '0']) expect(parseTrust(raw)('127.0.0.1', 0)).toBe(false);
  });

  it('trusts the named ranges, addresses and CIDR ranges it is given', () => {
    const trust = parseTrust('loopback, 10.1.0.0/16, 192.168.7.7, fd00::/8, 172.16.0.0/255.240.0.0');
    expect(trust('127.0.0.9', 0)).toBe(true);
    expect(trust('::1', 0)).toBe(true);
    expect(trust('10.1.200.3', 0)).toBe(true);
    expect(trust('10.2.0.1', 0)).toBe(false);
    expect(trust('192.168.7.7', 0)).toBe(true);
    expect(trust('192.168.7.8', 0)).toBe(false);
    expect(trust('fd12::1', 0)).toBe(true);
    expect(trust('172.31.255.1', 0)).toBe(true);
    expect(trust('not an address', 0)).toBe(false);
    expect(parseTrust('uniquelocal')('172.20.0.3', 0)).toBe(true);
  });

  it('trusts the nearest N hops for a count', () => {
    const trust = parseTrust('2');
    expect([0, 1, 2].map((hop) => trust('203.0.113.1', hop))).toEqual([true, true, false]);
  });

  it('refuses true and what is not an address', () => {
    expect(() => parseTrust('true')).toThrow(/any client/);
    expect(() => parseTrust('lb.internal')).toThrow(/not an address/);
    expect(() => parseTrust('10.0.0.0/40')).toThrow(/not an address/);
  });
});

describe('clientAddress', () => {
  const loopback = parseTrust('loopback');
  it('is the peer when the peer is no trusted proxy, whatever X-Forwarded-For says', () => {
    expect(clientAddress('203.0.113.9', '1.1.1.1', loopback)).toBe('203.0.113.9');
  });
  it('walks back through trusted proxies to the first untrusted hop', () => {
    expect(clientAddress('127.0.0.1', '6.6.6.6, 203.0.113.9, 127.0.0.2', loopback)).toBe('203.0.113.9');
    expect(clientAddress('127.0.0.1', '127.0.0.3', loopback)).toBe('127.0.0.3');
    expect(clientAddress('127.0.0.1', undefined, loopback)).toBe('127.0.0.1');
  });
  it('unwraps IPv4-mapped IPv6', () => {
    expect(plainAddress('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(plainAddress('2001:db8::1')).toBe('2001:db8::1');
  });
});

describe('the front door on a real HTTP server', () => {
  let server: Server;
  let port: number;
  let trust: Trust = () => false;

  beforeAll(async () => {
    // The upstream handler stands in for Next.js: it reports the headers it was given, and sets the
    // rewrite header the way Next.js does for a rewrite to the API.
    server = createServer((request, response) => {
      response.setHeader('x-middleware-rewrite', 'http://127.0.0.1:4000/api/v1/me');
      if (request.url === '/relative') response.setHeader('x-middleware-rewrite', '/elsewhere');
      if (request.url === '/inline') {
        response.writeHead(200, {
          'content-type': 'application/json',
          'X-Middleware-Rewrite': 'http://api:4000/',
        });
        response.end(JSON.stringify(request.headers));
        return;
      }
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(request.headers));
    });
    attachFrontDoor(server, (address, hop) => trust(address, hop));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => server.close());

  function get(path: string, headers: Record<string, string>, localAddress = '127.0.0.1') {
    return new Promise<{ seen: IncomingHttpHeaders; headers: IncomingHttpHeaders }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, headers, localAddress }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ seen: JSON.parse(body), headers: response.headers }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('replaces what the client claims with the address and scheme it connected with', async () => {
    trust = () => false;
    const { seen } = await get(
      '/',
      {
        'x-forwarded-for': '6.6.6.6',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-port': '443',
        forwarded: 'for=6.6.6.6',
        'x-real-ip': '6.6.6.6',
      },
      '127.0.0.2',
    );
    expect(seen['x-forwarded-for']).toBe('127.0.0.2');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe(`127.0.0.1:${port}`);
    expect(seen['x-forwarded-port']).toBeUndefined();
    expect(seen.forwarded).toBeUndefined();
    expect(seen['x-real-ip']).toBeUndefined();
  });

  it('believes a trusted proxy in front of it, and forwards only the client it names', async () => {
    trust = parseTrust('127.0.0.3');
    const { seen } = await get(
      '/',
      {
        'x-forwarded-for': '6.6.6.6, 198.51.100.4',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'mendflow.example',
      },
      '127.0.0.3',
    );
    expect(seen['x-forwarded-for']).toBe('198.51.100.4');
    expect(seen['x-forwarded-proto']).toBe('https');
    expect(seen['x-forwarded-host']).toBe('mendflow.example');
    // The same headers from a peer that is not that proxy are ignored.
    const direct = await get(
      '/',
      { 'x-forwarded-for': '198.51.100.4', 'x-forwarded-proto': 'https' },
      '127.0.0.4',
    );
    expect(direct.seen['x-forwarded-for']).toBe('127.0.0.4');
    expect(direct.seen['x-forwarded-proto']).toBe('http');
  });

  it('keeps the API address in x-middleware-rewrite from reaching the client', async () => {
    trust = () => false;
    expect((await get('/', {})).headers['x-middleware-rewrite']).toBeUndefined();
    expect((await get('/inline', {})).headers['x-middleware-rewrite']).toBeUndefined();
    // A rewrite within the web app names no address: Next.js's own use of it is left alone.
    expect((await get('/relative', {})).headers['x-middleware-rewrite']).toBe('/elsewhere');
  });
});
