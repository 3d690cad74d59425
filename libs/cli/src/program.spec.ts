import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EXIT } from './output';
import { runCli } from './program';

async function cli(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const cwd = mkdtempSync(join(tmpdir(), 'mendflow-cli-'));
  const code = await runCli(args, {
    env: { HOME: cwd, ...env },
    stdin: new PassThrough(),
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    cwd,
  });
  return { code, stdout, stderr, cwd };
}

describe('the command line', () => {
  it('refuses a secret value given as an argument before anything else happens', async () => {
    // Logged in through the env at an address nothing listens on: the refusal comes first, nothing is sent.
    const result = await cli(['secrets', 'set', 'TOKEN', 'hunter2', '--json'], {
      MENDFLOW_API_URL: 'http://127.0.0.1:9',
      MENDFLOW_API_KEY: 'mf_x',
    });
    expect(result.code).toBe(EXIT.usage);
    expect(JSON.parse(result.stdout).error.code).toBe('SECRET_ON_COMMAND_LINE');
    expect(result.stdout).not.toContain('hunter2');
  });

  it('answers usage errors with exit 2 and lists the exit codes in --help', async () => {
    expect((await cli(['deploy', '--nope'])).code).toBe(EXIT.usage);
    expect((await cli(['resolve', 'only-one-argument'])).code).toBe(EXIT.usage);
    expect((await cli(['runs', '--limit', 'many'])).code).toBe(EXIT.usage);
    const help = await cli(['--help']);
    expect(help.code).toBe(EXIT.ok);
    expect(help.stdout).toContain('4  lint errors in a script');
  });

  it('says "not logged in" with exit 3, as JSON with --json', async () => {
    const result = await cli(['runs', '--json']);
    expect(result.code).toBe(EXIT.auth);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'NOT_LOGGED_IN' } });
  });

  it('lints locally without a server: file:line:col severity message rule, exit 4 on errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mendflow-lint-'));
    writeFileSync(
      join(dir, 'script.js'),
      'export default async function run(input, ctx) {\n  return process.env;\n}\n',
    );
    const result = await cli(['lint', join(dir, 'script.js')]);
    expect(result.code).toBe(EXIT.lint);
    expect(result.stdout).toMatch(/script\.js:2:10 error .+ mendflow\/forbidden-global$/m);
    const json = await cli(['lint', '--json', dir]);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, files: [{ ok: false }] });
  });

  it('scaffolds a folder that lints clean and refuses to overwrite it', async () => {
    const first = await cli(['init', 'hello', '--json']);
    expect(first.code, first.stdout + first.stderr).toBe(EXIT.ok);
    const made = JSON.parse(first.stdout) as { dir: string; files: string[] };
    expect(made.files).toEqual(['script.js', 'manifest.json', 'mendflow-ctx.d.ts', 'jsconfig.json']);
    const again = await runCli(['init', made.dir], {
      env: { HOME: first.cwd },
      stdin: new PassThrough(),
      stdout: { write: () => true },
      stderr: { write: () => true },
      cwd: first.cwd,
    });
    expect(again).toBe(EXIT.failed);
    const lint = await cli(['lint', made.dir]);
    expect(lint.code, lint.stdout).toBe(EXIT.ok);
  });
});
