import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient } from './support/client';
import { BOOTSTRAP_KEY, type Stack, startStack } from './support/stack';

// An agent-style client (the official MCP Client over Streamable HTTP) against the real API and worker:
// it lists the tools, explores with execute, lints, deploys, runs and reads the result, asks for a
// secret a person then sets through REST, and a viewer key is refused what it may not do.

let stack: Stack;
let api: Api;
let agent: Client;

const SECRET_VALUE = 'sk-live-mcp-e2e-9f8e7d6c5b4a';

async function connect(key: string): Promise<Client> {
  const client = new Client({ name: 'e2e-agent', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${stack.apiUrl}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
  });
  await client.connect(transport);
  return client;
}

interface ToolAnswer {
  isError?: boolean;
  structuredContent?: Record<string, any>;
  content: { type: string; text?: string }[];
}

const jsonOf = (response: Response): Promise<any> => response.json();

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<ToolAnswer> {
  return (await client.callTool({ name, arguments: args })) as ToolAnswer;
}

beforeAll(async () => {
  stack = await startStack('mcp', { redisDb: 4 });
  api = apiClient(stack.apiUrl, BOOTSTRAP_KEY);
  agent = await connect(BOOTSTRAP_KEY);
}, 120_000);

afterAll(async () => {
  await agent?.close();
  await stack?.stop();
});

// Each execute waits for its run up to EXECUTE_WAIT seconds (a condition, not a sleep); the tests allow
// more, so a loaded machine is slow rather than failing.
const EXECUTE_WAIT = 100;

describe('MCP over Streamable HTTP', { timeout: 150_000 }, () => {
  it('refuses an unauthenticated POST /mcp with 401 in the error envelope', async () => {
    const response = await fetch(`${stack.apiUrl}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(401);
    expect((await jsonOf(response)).error.code).toBe('UNAUTHENTICATED');
  });

  it('refuses what is not a JSON-RPC message in the error envelope, and serves a JSON-only client', async () => {
    const post = (body: unknown, accept?: string) =>
      fetch(`${stack.apiUrl}/mcp`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${BOOTSTRAP_KEY}`,
          'content-type': 'application/json',
          ...(accept && { accept }),
        },
        body: JSON.stringify(body),
      });
    const bad = await post({ hello: 'world' });
    expect(bad.status).toBe(400);
    expect((await jsonOf(bad)).error.code).toBe('MCP_INVALID_MESSAGE');
    const listed = await post({ jsonrpc: '2.0', id: 7, method: 'tools/list' }, 'application/json');
    expect(listed.status).toBe(200);
    expect((await jsonOf(listed)).result.tools.length).toBe(8);
    const get = await fetch(`${stack.apiUrl}/mcp`, { headers: { authorization: `Bearer ${BOOTSTRAP_KEY}` } });
    expect(get.status).toBe(405);
    expect((await jsonOf(get)).error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('lists the tools, and none decides for a person', async () => {
    const { tools } = await agent.listTools();
    const names = tools.map((tool) => tool.name).sort();
    expect(names).toEqual(
      [
        'deploy',
        'execute',
        'get_run',
        'lint',
        'list_automations',
        'list_inbox',
        'request_secret',
        'run',
      ].sort(),
    );
    expect(names.some((name) => /approv|resolve|reject/.test(name))).toBe(false);
    const execute = tools.find((tool) => tool.name === 'execute');
    expect(execute?.inputSchema.required).toContain('source');
  });

  let failedRunId: string;
  let exploredRunId: string;

  it('execute: a failing snippet reports its error location and classification, and is never retried', async () => {
    const answer = await call(agent, 'execute', {
      source: [
        'export default async function run(input, ctx) {',
        "  ctx.log.info('about to read rows');",
        '  const rows = input.rows;',
        '  return rows.length;',
        '}',
      ].join('\n'),
      input: {},
      wait: EXECUTE_WAIT,
    });
    expect(answer.isError).toBeFalsy();
    const report = answer.structuredContent!;
    failedRunId = report.runId;
    expect(report).toMatchObject({
      status: 'failed',
      settled: true,
      trigger: 'exploration',
      attemptCount: 1,
    });
    expect(report.errorLocation).toEqual({ line: 4, column: expect.any(Number) });
    expect(report.error.name).toBe('TypeError');
    expect(report.classification.class).toBe('logic');
    expect(report.logs.map((line: { message: string }) => line.message)).toContain('about to read rows');
    expect(answer.content[0]?.text).toMatch(/failed: TypeError: .* at line 4/);

    const events = await api('GET', `/api/v1/runs/${failedRunId}/events`);
    const types = events.body.items.map((event: { type: string }) => event.type);
    expect(types).toContain('run.failed');
    expect(types).not.toContain('run.retry_scheduled');
    expect(types).not.toContain('run.repairing');
    expect(types).not.toContain('run.action_needed');
    const inbox = await api('GET', `/api/v1/inbox?runId=${failedRunId}`);
    expect(inbox.body.items).toEqual([]);
    const retried = await api('POST', `/api/v1/runs/${failedRunId}/retry`);
    expect(retried.status).toBe(409);
    expect(retried.body.error.code).toBe('RUN_NOT_RETRYABLE');
  });

  it('execute: a successful snippet returns its output and logs', async () => {
    const answer = await call(agent, 'execute', {
      source:
        "export default async function run(input, ctx) { ctx.log.info('doubling', { n: input.n }); return { doubled: input.n * 2 }; }",
      input: { n: 21 },
      manifest: { limits: { timeoutMs: 10_000 } },
      wait: EXECUTE_WAIT,
    });
    const report = answer.structuredContent!;
    exploredRunId = report.runId;
    expect(report).toMatchObject({ status: 'succeeded', output: { doubled: 42 }, error: null });
    expect(report.logs[0]).toMatchObject({ level: 'info', message: 'doubling', data: { n: 21 } });
    expect(report.timeline.at(-1)).toMatch(/^\d+ /);
  });

  it('execute refuses a manifest the same schema refuses, as a tool error with the stable code', async () => {
    const answer = await call(agent, 'execute', {
      source: 'export default async function run() { return 1; }',
      manifest: { limits: { timeoutMs: -1 } },
    });
    expect(answer.isError).toBe(true);
    expect(answer.structuredContent?.error.code).toBe('AUTOMATION_INVALID_MANIFEST');
  });

  it('lists exploration runs under trigger=exploration, never the hidden automation', async () => {
    const runs = await api('GET', '/api/v1/runs?trigger=exploration');
    const ids = runs.body.items.map((run: { id: string }) => run.id);
    expect(ids).toEqual(expect.arrayContaining([failedRunId, exploredRunId]));
    const automations = await api('GET', '/api/v1/automations');
    expect(automations.body.items.map((a: { name: string }) => a.name.trim())).not.toContain('exploration');
    const hidden = runs.body.items[0].automationId as string;
    expect((await api('GET', `/api/v1/automations/${hidden}`)).status).toBe(404);
    expect((await api('POST', `/api/v1/automations/${hidden}/runs`, {})).status).toBe(404);
  });

  let automationId: string;

  it('lints, deploys, runs with wait and reads the result with get_run', async () => {
    const bad = await call(agent, 'lint', {
      source: 'export default async function run(input) { return input.; }',
    });
    expect(bad.structuredContent?.ok).toBe(false);
    const source =
      'export default async function run(input, ctx) { return { greeting: `hello ${input.name}` }; }';
    const good = await call(agent, 'lint', { source });
    expect(good.structuredContent?.ok).toBe(true);

    const deployed = await call(agent, 'deploy', { name: 'greeter', source });
    expect(deployed.isError, JSON.stringify(deployed.structuredContent)).toBeFalsy();
    automationId = deployed.structuredContent!.id;
    expect(deployed.structuredContent?.deployedVersion.number).toBe(1);
    const second = await call(agent, 'deploy', { automationId, source: source.replace('hello', 'hi') });
    expect(second.structuredContent?.deployedVersion.number).toBe(2);

    const ran = await call(agent, 'run', { automationId, input: { name: 'Ada' }, wait: EXECUTE_WAIT });
    expect(ran.structuredContent).toMatchObject({ status: 'succeeded', output: { greeting: 'hi Ada' } });
    const got = await call(agent, 'get_run', { runId: ran.structuredContent!.runId });
    expect(got.structuredContent).toMatchObject({ status: 'succeeded', versionNumber: 2, trigger: 'api' });
    expect(got.structuredContent?.timeline.some((line: string) => /succeeded/i.test(line))).toBe(true);

    const listed = await call(agent, 'list_automations', {});
    expect(listed.structuredContent?.items.map((a: { id: string }) => a.id)).toEqual([automationId]);
    const inbox = await call(agent, 'list_inbox', {});
    expect(inbox.structuredContent?.items).toEqual([]);
  });

  it('request_secret: a person sets the value through REST, which fulfills the request; values never show', async () => {
    const asked = await call(agent, 'request_secret', { name: 'CRM_TOKEN', purpose: 'read CRM contacts' });
    expect(asked.structuredContent).toMatchObject({ created: true, alreadySet: false });
    const open = await api('GET', '/api/v1/secret-requests');
    expect(open.body.items).toEqual([
      expect.objectContaining({ name: 'CRM_TOKEN', purpose: 'read CRM contacts', status: 'open' }),
    ]);
    expect((await api('PUT', '/api/v1/secrets/CRM_TOKEN', { value: SECRET_VALUE })).status).toBe(200);
    expect((await api('GET', '/api/v1/secret-requests')).body.items).toEqual([]);

    const answer = await call(agent, 'execute', {
      source: [
        'export default async function run(input, ctx) {',
        "  const token = await ctx.secrets.get('CRM_TOKEN');",
        "  ctx.log.info('token is ' + token, { token });",
        '  return { length: token.length, token };',
        '}',
      ].join('\n'),
      manifest: { permissions: { secrets: ['CRM_TOKEN'] } },
      wait: EXECUTE_WAIT,
    });
    const report = answer.structuredContent!;
    expect(report.status).toBe('succeeded');
    expect(report.output.length).toBe(SECRET_VALUE.length);
    expect(report.hostCalls).toContainEqual(
      expect.objectContaining({ kind: 'secret', name: 'CRM_TOKEN', present: true }),
    );
    expect(JSON.stringify(answer)).not.toContain(SECRET_VALUE);
  });

  it('a viewer key reads but cannot deploy or execute', async () => {
    const created = await api('POST', '/api/v1/api-keys', { name: 'viewer agent', role: 'viewer' });
    expect(created.status).toBe(201);
    const viewer = await connect(created.body.key);
    try {
      const deploy = await call(viewer, 'deploy', {
        name: 'not allowed',
        source: 'export default async function run() { return 1; }',
      });
      expect(deploy.isError).toBe(true);
      expect(deploy.structuredContent?.error).toMatchObject({
        code: 'FORBIDDEN',
        details: { permission: 'automations:write', role: 'viewer' },
      });
      const execute = await call(viewer, 'execute', {
        source: 'export default async function run() { return 1; }',
      });
      expect(execute.structuredContent?.error.code).toBe('FORBIDDEN');
      const listed = await call(viewer, 'list_automations', {});
      expect(listed.structuredContent?.items).toHaveLength(1);
    } finally {
      await viewer.close();
    }
  });
});
