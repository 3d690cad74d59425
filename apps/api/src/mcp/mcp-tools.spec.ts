import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { DomainError, type Role } from '@mendflow/common';
import type { RunRecord } from '@mendflow/db';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Principal } from '../auth/principal';
import { MCP_TOOLS, registerMcpTools } from './mcp-tools';
import type { McpToolServices } from './mcp-tool-services';
import { buildRunReport, parseLocation, summarizeReport } from './run-report';
import { toolError } from './tool-result';

const principal = (role: Role): Principal => ({
  workspaceId: '00000000-0000-4000-8000-000000000001',
  userId: '00000000-0000-4000-8000-000000000002',
  role,
  via: 'api_key',
  keyId: '00000000-0000-4000-8000-000000000003',
});

/** Services that fail the test if a tool reaches them. */
const untouchable = new Proxy(
  { onError: () => undefined },
  {
    get: (target, name) =>
      name in target
        ? target[name as keyof typeof target]
        : new Proxy(
            {},
            {
              get: () => () => {
                throw new Error(`reached ${String(name)}`);
              },
            },
          ),
  },
) as unknown as McpToolServices;

async function connected(role: Role, services: McpToolServices = untouchable) {
  const server = new McpServer({ name: 'test', version: '0' });
  registerMcpTools(server, principal(role), services);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'spec', version: '0' });
  await client.connect(clientSide);
  return client;
}

describe('MCP tools', () => {
  it('match the REST routes’ permissions, and none decides for a person', () => {
    const permissions = Object.fromEntries(
      Object.entries(MCP_TOOLS).map(([name, t]) => [name, t.permission]),
    );
    expect(permissions).toEqual({
      execute: 'automations:write',
      lint: 'automations:write',
      deploy: 'automations:write',
      run: 'runs:write',
      get_run: 'workspace:read',
      list_automations: 'workspace:read',
      list_inbox: 'workspace:read',
      request_secret: 'automations:write',
    });
    expect(Object.keys(MCP_TOOLS).filter((name) => /approv|resolve|reject|secret_value/.test(name))).toEqual(
      [],
    );
  });

  it('no tool takes a secret value', () => {
    for (const tool of Object.values(MCP_TOOLS)) expect(Object.keys(tool.input)).not.toContain('value');
    const request = z.strictObject(MCP_TOOLS.request_secret.input);
    expect(request.safeParse({ name: 'CRM_TOKEN', purpose: 'crm', value: 'x' }).success).toBe(false);
    expect(request.safeParse({ name: 'crm token', purpose: 'crm' }).success).toBe(false);
  });

  it('bounds the waits', () => {
    const execute = z.object(MCP_TOOLS.execute.input);
    expect(execute.parse({ source: 'x' }).wait).toBe(60);
    expect(execute.safeParse({ source: 'x', wait: 10_000 }).success).toBe(false);
    expect(z.object(MCP_TOOLS.run.input).safeParse({ automationId: 'nope' }).success).toBe(false);
  });

  it('refuses a viewer’s deploy with the FORBIDDEN tool error before touching anything', async () => {
    const client = await connected('viewer');
    const answer = await client.callTool({
      name: 'deploy',
      arguments: { name: 'x', source: 'export default async function run() { return 1; }' },
    });
    expect(answer.isError).toBe(true);
    expect(answer.structuredContent).toMatchObject({
      error: {
        code: 'FORBIDDEN',
        details: { permission: 'automations:write', required: 'editor', role: 'viewer' },
      },
    });
    await client.close();
  });

  it('answers lint with structured diagnostics and a text summary', async () => {
    const services = {
      ...untouchable,
      onError: () => undefined,
      checker: { lint: () => ({ ok: false, diagnostics: [{ severity: 'error', line: 1, column: 2 }] }) },
    } as unknown as McpToolServices;
    const client = await connected('editor', services);
    const answer = await client.callTool({ name: 'lint', arguments: { source: 'x' } });
    expect(answer.structuredContent).toMatchObject({ ok: false, diagnostics: [{ line: 1 }] });
    expect(answer.content).toEqual([{ type: 'text', text: 'lint failed: 1 error(s)' }]);
    await client.close();
  });
});

describe('toolError', () => {
  it('keeps a domain error’s code, message and details', () => {
    const answer = toolError(new DomainError('AUTOMATION_PAUSED', 'conflict', 'automation x is paused'));
    expect(answer).toMatchObject({
      isError: true,
      structuredContent: { error: { code: 'AUTOMATION_PAUSED', message: 'automation x is paused' } },
    });
  });

  it('shows nothing of an unexpected error', () => {
    const answer = toolError(new Error('connection to postgres://user:pw@db failed'));
    expect(JSON.stringify(answer)).not.toContain('postgres');
    expect(answer.structuredContent).toMatchObject({ error: { code: 'INTERNAL' } });
  });
});

describe('run reports', () => {
  const run = {
    id: 'r1',
    automationId: 'a1',
    versionNumber: 3,
    trigger: 'exploration',
    status: 'failed',
    attemptCount: 1,
    output: null,
    error: { name: 'TypeError', message: 'rows is undefined', location: 'script.js:4:15' },
  } as unknown as RunRecord;

  it('parses the error location and summarizes the failure', () => {
    const report = buildRunReport({
      run,
      settled: true,
      last: { classification: { class: 'logic', reason: 'a TypeError' } } as never,
      logs: [{ level: 'info', message: 'hi', t: 1 }],
      recording: { version: 1, calls: [{ kind: 'time', value: 1 }] },
      events: [{ seq: 1, type: 'run.queued', data: { trigger: 'exploration' } }],
    });
    expect(report).toMatchObject({
      errorLocation: { line: 4, column: 15 },
      hostCalls: [{ kind: 'time', value: 1 }],
      logs: [{ message: 'hi' }],
    });
    expect(summarizeReport(report)).toBe(
      'run r1 failed: TypeError: rows is undefined at line 4, column 15 (logic)',
    );
  });

  it('says when the wait ended first', () => {
    const report = buildRunReport({
      run: { ...run, status: 'running' },
      settled: false,
      last: undefined,
      logs: [],
      recording: null,
      events: [],
    });
    expect(summarizeReport(report)).toMatch(/not finished within the wait: call get_run later/);
    expect(parseLocation(undefined)).toBeNull();
  });
});
