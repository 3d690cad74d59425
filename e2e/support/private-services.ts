import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { freePort } from './stack';

const run = promisify(execFile);
const PG_BIN = process.env.MENDFLOW_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * Services of a suite's own that it may stop, kill and restart (the chaos suite): never the machine's
 * shared PostgreSQL and Redis, which other suites use meanwhile.
 */
export interface PrivateService {
  url: string;
  port: number;
  /** Stops the service (PostgreSQL: a fast shutdown; Redis: SIGKILL, so nothing it held survives). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes what it kept on disk. */
  destroy(): Promise<void>;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A PostgreSQL cluster of its own: initdb into a temporary folder, run as the `postgres` user (the
 * server refuses root) on a free port, trust authentication on 127.0.0.1 only. fsync off: the suite
 * restarts the server with a clean shutdown, and crash safety of the test data is not what it tests.
 */
export async function startPrivatePostgres(database = 'mendflow'): Promise<PrivateService> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mendflow-chaos-pg-'));
  const data = path.join(dir, 'data');
  const { stdout: uid } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  chownSync(dir, Number(uid), Number(gid));
  chmodSync(dir, 0o700);
  const asPostgres = (bin: string, args: string[]) =>
    run('runuser', ['-u', 'postgres', '--', path.join(PG_BIN, bin), ...args], { cwd: dir });
  await asPostgres('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses='127.0.0.1'",
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
  ].join(' ');
  const url = `postgresql://postgres@127.0.0.1:${port}/${database}`;
  const ready = async () => {
    const client = new pg.Client({ connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres` });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  const service: PrivateService = {
    url,
    port,
    async start() {
      await asPostgres('pg_ctl', [
        '-D',
        data,
        '-o',
        options,
        '-l',
        path.join(dir, 'server.log'),
        '-w',
        'start',
      ]);
      await until(`PostgreSQL did not answer on ${port}`, ready);
    },
    async stop() {
      await asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
    },
    async destroy() {
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await service.start();
  return service;
}

/** A redis-server of its own on a free port that keeps nothing on disk: a restart loses every key. */
export async function startPrivateRedis(): Promise<PrivateService> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const ping = async () => {
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    try {
      return (await client.ping()) === 'PONG';
    } finally {
      client.disconnect();
    }
  };
  const service: PrivateService = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      await until(`redis-server did not answer on ${port}`, ping);
    },
    async stop() {
      const current = child;
      if (!current || current.exitCode !== null || current.signalCode !== null) return;
      const exited = new Promise((resolve) => current.once('exit', resolve));
      current.kill('SIGKILL');
      await exited;
    },
    destroy: () => service.stop(),
  };
  await service.start();
  return service;
}
