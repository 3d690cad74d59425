import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { relayMcp } from './mcp';

// A small MCP server over Streamable HTTP (stateful sessions, like the API's /mcp), behind a bearer check.
const KEY = 'mf_relay_spec_key';
let server: Server;
let apiUrl: string;
const authorizations: (string | undefined)[] = [];

beforeAll(async () => {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  server = createServer((req: IncomingMessage, res) => {
    authorizations.push(req.headers.authorization);
    if (req.url !== '/mcp') return void res.writeHead(404).end();
    if (req.headers.authorization !== `Bearer ${KEY}`) return void res.writeHead(401).end();
    const id = req.headers['mcp-session-id'];
    const existing = typeof id === 'string' ? transports.get(id) : undefined;
    if (existing) return void existing.handleRequest(req, res);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => void transports.set(sessionId, transport),
    });
    const mcp = new McpServer({ name: 'relay-spec', version: '1.0.0' });
    mcp.registerTool(
      'add',
      { description: 'adds two numbers', inputSchema: { a: z.number(), b: z.number() } },
      ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }),
    );
    void mcp.connect(transport).then(() => transport.handleRequest(req, res));
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('mendflow mcp (stdio ↔ Streamable HTTP relay)', () => {
  it('forwards a session, a tool list and a tool call with the key as Bearer', async () => {
    const [agentSide, relaySide] = InMemoryTransport.createLinkedPair();
    const relay = await relayMcp({ apiUrl, apiKey: KEY }, relaySide);
    const agent = new Client({ name: 'agent', version: '1.0.0' });
    await agent.connect(agentSide);
    expect(agent.getServerVersion()).toMatchObject({ name: 'relay-spec' });
    const tools = await agent.listTools();
    expect(tools.tools.map((tool) => tool.name)).toEqual(['add']);
    const result = await agent.callTool({ name: 'add', arguments: { a: 2, b: 40 } });
    expect(result.content).toEqual([{ type: 'text', text: '42' }]);
    expect(authorizations.length).toBeGreaterThan(0);
    expect(authorizations.every((value) => value === `Bearer ${KEY}`)).toBe(true);
    await agent.close();
    await relay.closed;
  });

  it('answers a request the API refuses with a JSON-RPC error instead of hanging', async () => {
    const [agentSide, relaySide] = InMemoryTransport.createLinkedPair();
    const relay = await relayMcp({ apiUrl, apiKey: 'mf_wrong' }, relaySide);
    const agent = new Client({ name: 'agent', version: '1.0.0' });
    await expect(agent.connect(agentSide)).rejects.toThrow(/did not accept/);
    await relay.close();
  });
});
