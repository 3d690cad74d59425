import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

// A newcomer's path, literally: the README's non-Docker commands, run as written in a fresh copy of
// the repository with the machine's own Node (not the Node 24 this suite runs on), then the "Use it"
// commands against what they started. Blocks are found by their `<!-- readme-walkthrough: … -->` marks.
const ROOT = process.cwd();
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

function block(name: string): string {
  const match = new RegExp(`<!-- readme-walkthrough: ${name} -->\\s*\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(
    README,
  );
  if (!match?.[1]) throw new Error(`README.md has no sh block marked readme-walkthrough: ${name}`);
  return match[1];
}

/** The machine's PATH without any Node 24 this test run put first (scripts/ensure-node.sh). */
const SYSTEM_PATH = (process.env.PATH ?? '')
  .split(':')
  .filter((dir) => !dir.includes('/.tools/'))
  .join(':');

const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const database = `mendflow_readme_${Date.now().toString(36)}`;
const dbUrl = new URL(adminUrl);
dbUrl.pathname = `/${database}`;
const redisBase = (process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '');

const dir = mkdtempSync(path.join(tmpdir(), 'mendflow-readme-'));
// A new user's shell: their PATH and HOME; the real environment names this test's own database and
// Redis db (it wins over .env, as the README says), nothing else of this test run leaks in.
const env: NodeJS.ProcessEnv = {
  PATH: SYSTEM_PATH,
  HOME: process.env.HOME,
  LANG: process.env.LANG ?? 'C.UTF-8',
  // The machine's extra CA bundle, as a user's shell here has it: npm ci fetches what is not in its
  // cache (a dependency added since the last install) through it.
  ...(process.env.NODE_EXTRA_CA_CERTS && { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS }),
  DATABASE_URL: dbUrl.toString(),
  REDIS_URL: `${redisBase}/4`,
};
const started: ChildProcess[] = [];

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function waitUntilOk(url: string, timeoutMs: number, logs: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${url} did not answer in time:\n${logs()}`);
}

afterAll(async () => {
  for (const child of started) {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 3000));
  for (const child of started) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe("the README's commands, verbatim, on this machine's Node", () => {
  it(
    'set up, start and use Mendflow without Docker',
    async () => {
      expect(await portInUse(4000), 'port 4000 (the README uses it) is taken').toBe(false);
      expect(await portInUse(3000), 'port 3000 (the README uses it) is taken').toBe(false);
      const systemNode = spawnSync('node', ['-v'], { env, encoding: 'utf8' }).stdout.trim();

      // A fresh copy of the repository as it is (tracked and new files; nothing git ignores).
      execFileSync(
        'bash',
        ['-c', `git ls-files -co --exclude-standard -z | tar -c --null -T - -f - | tar -x -C ${dir}`],
        {
          cwd: ROOT,
        },
      );

      const setup = spawnSync('bash', ['-euo', 'pipefail', '-c', block('setup')], {
        cwd: dir,
        env,
        encoding: 'utf8',
        timeout: 15 * 60_000,
        maxBuffer: 1 << 28,
      });
      const setupLog = `${setup.stdout}\n${setup.stderr}`;
      expect(setup.status, `setup failed (system node ${systemNode}):\n${setupLog.slice(-6000)}`).toBe(0);
      expect(setupLog).toMatch(/\[env\] created \.env/);
      expect(setupLog).toMatch(new RegExp(`\\[db\\] created database "${database}"`));

      let output = '';
      for (const command of block('start')
        .split('\n')
        .filter((line) => line.trim() && !line.startsWith('#'))) {
        const child = spawn('bash', ['-c', command], {
          cwd: dir,
          env,
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
        started.push(child);
      }
      await waitUntilOk('http://127.0.0.1:4000/readyz', 120_000, () => output);
      await waitUntilOk('http://127.0.0.1:3000/', 120_000, () => output);
      // The generated secrets are in use, so no example-secret warning.
      expect(output).not.toMatch(/public example values/);

      const use = spawnSync('bash', ['-euo', 'pipefail', '-c', block('use')], {
        cwd: dir,
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(use.status, `${use.stdout}\n${use.stderr}\n${output}`).toBe(0);
      const key = /^MENDFLOW_BOOTSTRAP_API_KEY=(.+)$/m.exec(
        readFileSync(path.join(dir, '.env'), 'utf8'),
      )?.[1];
      const runId = JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8')).id as string;
      let run: { status: string; output?: unknown } = { status: 'unknown' };
      for (let i = 0; i < 60 && run.status !== 'succeeded'; i++) {
        const response = await fetch(`http://127.0.0.1:4000/api/v1/runs/${runId}`, {
          headers: { authorization: `Bearer ${key}` },
        });
        run = (await response.json()) as typeof run;
        if (run.status !== 'succeeded') await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(run.status, output).toBe('succeeded');
      expect(run.output).toEqual({ sum: 5 });

      // The CLI block, on the same Node, with its config in a home of its own.
      const cli = spawnSync('bash', ['-euo', 'pipefail', '-c', block('cli')], {
        cwd: dir,
        env: { ...env, XDG_CONFIG_HOME: path.join(dir, '.config') },
        encoding: 'utf8',
        timeout: 120_000,
      });
      const cliLog = `${cli.stdout}\n${cli.stderr}`;
      expect(cli.status, `${cliLog}\n${output}`).toBe(0);
      expect(cliLog).toMatch(/succeeded/);
    },
    20 * 60_000,
  );
});
