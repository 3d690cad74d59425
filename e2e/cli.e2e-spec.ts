import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync, cpSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient } from './support/client';
import { BOOTSTRAP_KEY, type Stack, startStack } from './support/stack';

// The built CLI (libs/cli/dist, through its bin) as a child process against the real stack, with a
// home and config folder of its own: what a new user does after `npm run build`.

const BIN = resolve(__dirname, '../libs/cli/bin/mendflow.js');
let stack: Stack;
let api: Api;
let home: string;
let work: string;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI's own environment: its home and config folder, no MENDFLOW_* overrides. */
function cliEnv(): Record<string, string> {
  const { MENDFLOW_API_URL: _url, MENDFLOW_API_KEY: _key, ...inherited } = process.env;
  return {
    ...(Object.fromEntries(Object.entries(inherited).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >),
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'xdg'),
  };
}

function cli(args: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: work,
    env: { ...cliEnv(), ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(options.stdin ?? '');
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })));
}

function jsonLines(text: string): any[] {
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line));
}

beforeAll(async () => {
  stack = await startStack('sdkcli_cli', { redisDb: 3 });
  api = apiClient(stack.apiUrl);
  home = mkdtempSync(join(tmpdir(), 'mendflow-cli-home-'));
  work = mkdtempSync(join(tmpdir(), 'mendflow-cli-work-'));
});

afterAll(async () => {
  await stack?.stop();
});

describe('the mendflow CLI against the real stack', () => {
  it('logs in with a key from stdin into a 0600 config file, and the env overrides it', async () => {
    const login = await cli(['login', '--url', stack.apiUrl], { stdin: `${BOOTSTRAP_KEY}\n` });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain(`Logged in to ${stack.apiUrl} as owner@e2e.test`);
    const path = join(home, 'xdg', 'mendflow', 'config.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ apiUrl: stack.apiUrl, apiKey: BOOTSTRAP_KEY });

    const refused = await cli(['whoami', '--json'], {
      env: { MENDFLOW_API_KEY: 'mf_not_a_real_key_0000000000000000' },
    });
    expect(refused.code).toBe(3);
    expect(JSON.parse(refused.stdout).error.code).toBe('UNAUTHENTICATED');
    const wrongKey = await cli(['login', '--url', stack.apiUrl], {
      stdin: 'mf_wrong_key_00000000000000000000\n',
    });
    expect(wrongKey.code).toBe(3);
    // A refused login leaves the saved credentials alone.
    expect(JSON.parse(readFileSync(path, 'utf8')).apiKey).toBe(BOOTSTRAP_KEY);
  });

  it('scaffolds, lints (an error case and a clean case), deploys and watches a run to its end', async () => {
    const init = await cli(['init', 'greet']);
    expect(init.code, init.stderr).toBe(0);
    expect(readFileSync(join(work, 'greet', 'mendflow-ctx.d.ts'), 'utf8')).toContain(
      'waitForApproval(options: ApprovalOptions)',
    );
    expect(
      JSON.parse(readFileSync(join(work, 'greet', 'jsconfig.json'), 'utf8')).compilerOptions.checkJs,
    ).toBe(true);

    mkdirSync(join(work, 'broken'));
    writeFileSync(
      join(work, 'broken', 'script.js'),
      'export default async function run(input, ctx) {\n  const fs = require("fs");\n  return fs;\n}\n',
    );
    const broken = await cli(['lint', 'broken']);
    expect(broken.code).toBe(4);
    expect(broken.stdout).toMatch(/^broken\/script\.js:2:14 error .+ mendflow\/forbidden-global$/m);
    const clean = await cli(['lint', 'greet']);
    expect(clean.code, clean.stdout).toBe(0);
    expect(clean.stdout).toContain('0 error(s)');

    const deploy = await cli(['deploy', 'greet']);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.stdout).toMatch(/^created greet \(version 1, id [0-9a-f-]{36}\)$/m);

    const watched = await cli(['run', 'greet', '--input', '{"name":"cli"}', '--watch']);
    expect(watched.code, watched.stderr).toBe(0);
    const lines = watched.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^#1 \d\d:\d\d:\d\d run\.queued/);
    expect(lines.some((line) => /^#\d+ .* run\.running/.test(line))).toBe(true);
    expect(lines.some((line) => /^#\d+ .* run\.succeeded/.test(line))).toBe(true);
    expect(lines.at(-1)).toBe('succeeded: {"greeting":"hello, cli"}');

    // The streamed timeline is the stored one: every event, once, in seq order.
    const json = await cli(['run', 'greet', '--input', '{"name":"json"}', '--watch', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const items = jsonLines(json.stdout);
    const last = items.pop();
    expect(last.run).toMatchObject({ status: 'succeeded', output: { greeting: 'hello, json' } });
    const stored = await api('GET', `/api/v1/runs/${last.run.id}/events`);
    expect(items.map((item) => item.event)).toEqual(stored.body.items);
    expect(items.map((item) => item.event.seq)).toEqual(items.map((_item, index) => index + 1));

    const runs = await cli(['runs', '--json', '--automation', 'greet']);
    expect(runs.code).toBe(0);
    expect(JSON.parse(runs.stdout).items.map((run: { id: string }) => run.id)).toContain(last.run.id);
    const logs = await cli(['logs', last.run.id]);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/attempt 1 .* info {2}greeting {"name":"json"}/);
  });

  it('sets a secret from stdin and refuses one on the command line', async () => {
    const onArgv = await cli(['secrets', 'set', 'API_TOKEN', 'hunter2-on-argv']);
    expect(onArgv.code).toBe(2);
    expect(onArgv.stderr).toContain('never taken from the command line');
    const set = await cli(['secrets', 'set', 'API_TOKEN', '--json'], { stdin: 's3cr3t-from-stdin\n' });
    expect(set.code, set.stdout + set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ name: 'API_TOKEN', created: true });
    expect(set.stdout + set.stderr).not.toContain('s3cr3t');
    const listed = await api('GET', '/api/v1/secrets');
    expect(listed.body.items.map((s: { name: string }) => s.name)).toContain('API_TOKEN');
  });

  it('pushes a folder of automations idempotently and pulls the workspace back', async () => {
    const repo = join(work, 'repo');
    mkdirSync(repo);
    cpSync(join(work, 'greet'), join(repo, 'greet'), { recursive: true });
    mkdirSync(join(repo, 'second'));
    writeFileSync(
      join(repo, 'second', 'script.js'),
      'export default async function run() {\n  return 2;\n}\n',
    );

    const first = await cli(['push', 'repo']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('unchanged greet (version 1)');
    expect(first.stderr).toMatch(/created second \(version 1/);
    const second = await cli(['push', 'repo', '--json']);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout).outcomes.map((o: { action: string }) => o.action)).toEqual([
      'unchanged',
      'unchanged',
    ]);

    writeFileSync(
      join(repo, 'second', 'script.js'),
      'export default async function run() {\n  return 3;\n}\n',
    );
    const changed = await cli(['push', 'repo']);
    expect(changed.stderr).toContain('updated second to version 2');
    const automations = await api('GET', '/api/v1/automations');
    const secondId = automations.body.items.find((a: { name: string }) => a.name === 'second').id;
    expect((await api('GET', `/api/v1/automations/${secondId}/versions`)).body.items).toHaveLength(2);

    const pulled = await cli(['pull', 'pulled']);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(readFileSync(join(work, 'pulled', 'second', 'script.js'), 'utf8')).toContain('return 3;');
    expect(
      JSON.parse(readFileSync(join(work, 'pulled', 'greet', 'manifest.json'), 'utf8')).limits.timeoutMs,
    ).toBe(30000);
    const again = await cli(['push', 'pulled', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).outcomes.every((o: { action: string }) => o.action === 'unchanged')).toBe(
      true,
    );
  });

  it('watches a failing run to its inbox item and resolves it from the inbox', async () => {
    mkdirSync(join(work, 'expired'));
    writeFileSync(
      join(work, 'expired', 'script.js'),
      "export default async function run(input, ctx) {\n  throw new ctx.errors.AuthError('the token expired');\n}\n",
    );
    expect((await cli(['deploy', 'expired'])).code).toBe(0);
    const watched = await cli(['run', 'expired', '--watch']);
    expect(watched.code).toBe(1);
    expect(watched.stdout).toMatch(/run\.action_needed/);
    expect(watched.stdout.trim().split('\n').at(-1)).toMatch(/^action needed: .*the token expired/);

    const inbox = await cli(['inbox', '--json']);
    const item = JSON.parse(inbox.stdout).items.find(
      (i: { automation: { name: string } }) => i.automation.name === 'expired',
    );
    expect(item).toMatchObject({ kind: 'auth_required', status: 'open' });
    const text = await cli(['inbox']);
    expect(text.stdout).toContain(item.id);

    const resolved = await cli(['resolve', item.id, 'cancel', '--comment', 'rotating the token']);
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(resolved.stdout).toContain(`resolved ${item.id}: cancel`);
    const run = await api('GET', `/api/v1/runs/${item.run.id}`);
    expect(run.body.status).toBe('cancelled');
    const refused = await cli(['resolve', item.id, 'cancel']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('INBOX_ITEM_RESOLVED');
  });

  it('exports a signed bundle to a file and imports it under a new name; a tampered one is refused', async () => {
    const file = join(work, 'greet.bundle.json');
    const exported = await cli(['export', 'greet', '-o', 'greet.bundle.json']);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toBe(`exported greet to ${file}\n`);
    const bundle = JSON.parse(readFileSync(file, 'utf8'));
    expect(bundle).toMatchObject({ format: 'mendflow.bundle/v1', automation: { name: 'greet' } });

    // Signed with the workspace's own key, so the same workspace trusts it.
    const imported = await cli(['import', 'greet.bundle.json', '--name', 'greet-imported', '--json']);
    expect(imported.code, imported.stdout + imported.stderr).toBe(0);
    const automation = JSON.parse(imported.stdout);
    expect(automation).toMatchObject({ name: 'greet-imported', deployedVersion: { number: 1 } });
    expect(automation.deployedVersion.source).toBe(bundle.automation.source);
    const watched = await cli(['run', 'greet-imported', '--input', '{"name":"bundle"}', '--watch']);
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout.trim().split('\n').at(-1)).toBe('succeeded: {"greeting":"hello, bundle"}');

    bundle.automation.source = bundle.automation.source.replace('hello', 'pwned');
    writeFileSync(join(work, 'tampered.bundle.json'), JSON.stringify(bundle));
    const tampered = await cli(['import', 'tampered.bundle.json', '--name', 'greet-tampered', '--json']);
    expect(tampered.code).toBe(1);
    expect(JSON.parse(tampered.stdout).error.code).toBe('BUNDLE_SIGNATURE_INVALID');
    const names = (await api('GET', '/api/v1/automations')).body.items.map((a: { name: string }) => a.name);
    expect(names).toContain('greet-imported');
    expect(names).not.toContain('greet-tampered');
  });

  it('scaffolds, lints, deploys and runs a TypeScript script; a lint error points at the .ts position', async () => {
    const init = await cli(['init', 'typed', '--typescript']);
    expect(init.code, init.stderr).toBe(0);
    expect(readFileSync(join(work, 'typed', 'script.ts'), 'utf8')).toContain('input: { name?: string }');

    mkdirSync(join(work, 'typed-broken'));
    const line2 = "  const fs: { readFileSync: unknown } = require('fs');";
    writeFileSync(
      join(work, 'typed-broken', 'script.ts'),
      `export default async function run(input: unknown, ctx: unknown): Promise<unknown> {\n${line2}\n  return fs;\n}\n`,
    );
    const broken = await cli(['lint', 'typed-broken']);
    expect(broken.code, broken.stdout + broken.stderr).toBe(4);
    const column = line2.indexOf('require') + 1;
    expect(broken.stdout).toMatch(
      new RegExp(`^typed-broken/script\\.ts:2:${column} error .+ mendflow/forbidden-global$`, 'm'),
    );
    const clean = await cli(['lint', 'typed']);
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stdout).toContain('0 error(s)');

    const deploy = await cli(['deploy', 'typed']);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.stdout).toMatch(/^created typed \(version 1, id [0-9a-f-]{36}\)$/m);
    const id = /id ([0-9a-f-]{36})/.exec(deploy.stdout)![1];
    expect((await api('GET', `/api/v1/automations/${id}`)).body.deployedVersion.language).toBe('typescript');
    const again = await cli(['deploy', 'typed']);
    expect(again.stdout).toMatch(/^unchanged typed \(version 1\)$/m);

    const watched = await cli(['run', 'typed', '--input', '{"name":"ts"}', '--watch']);
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout.trim().split('\n').at(-1)).toBe('succeeded: {"greeting":"hello, ts"}');
  });

  it('relays MCP over stdio to the real /mcp: the tools, and execute answering a snippet', async () => {
    const agent = new Client({ name: 'cli-e2e-agent', version: '1.0.0' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mcp'],
      env: cliEnv(),
      cwd: work,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await agent.connect(transport);
      const names = (await agent.listTools()).tools.map((tool) => tool.name);
      expect(names).toEqual(
        expect.arrayContaining([
          'execute',
          'lint',
          'deploy',
          'run',
          'get_run',
          'list_automations',
          'list_inbox',
          'request_secret',
        ]),
      );
      expect(names.filter((name) => /approv|resolve/i.test(name))).toEqual([]);

      const answer = (await agent.callTool(
        {
          name: 'execute',
          arguments: {
            source: 'export default async function run(input) { return { doubled: input.n * 2 }; }',
            input: { n: 21 },
            wait: 100,
          },
        },
        undefined,
        { timeout: 110_000 },
      )) as { isError?: boolean; structuredContent?: Record<string, any> };
      expect(answer.isError, JSON.stringify(answer)).toBeFalsy();
      expect(answer.structuredContent).toMatchObject({ status: 'succeeded', output: { doubled: 42 } });
    } finally {
      await agent.close();
    }
    expect(stderr).not.toContain(BOOTSTRAP_KEY);
  }, 150_000);
});
