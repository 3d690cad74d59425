import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerClientErrors } from './client-errors';

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((_request, response) => response.end('ok'));
  answerClientErrors(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as { port: number }).port;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

/** Sends raw bytes and returns everything the server answered before it closed the connection. */
function raw(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}

function parse(answer: string) {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  return { statusLine: head.split('\r\n')[0], head, body: JSON.parse(body) };
}

describe('answerClientErrors', () => {
  it('answers what the HTTP parser refuses in the envelope, and closes', async () => {
    const nul = parse(await raw('GET / HTTP/1.1\r\nHost: x\r\nX-Odd: a\u0000b\r\n\r\n'));
    expect(nul.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(nul.head).toMatch(/content-type: application\/json/i);
    expect(nul.head).toMatch(/connection: close/i);
    expect(nul.body).toEqual({ error: { code: 'BAD_REQUEST', message: 'the request is not valid HTTP' } });

    expect(parse(await raw('NOT HTTP AT ALL\r\n\r\n')).body.error.code).toBe('BAD_REQUEST');

    const huge = parse(await raw(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    expect(huge.statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(huge.body.error.code).toBe('HEADERS_TOO_LARGE');
  });

  it('leaves good requests alone', async () => {
    expect(await raw('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(
      /^HTTP\/1.1 200 OK[\s\S]*ok$/,
    );
  });
});
