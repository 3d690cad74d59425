import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';

// Tests and the benchmark run from the repository root (npm scripts and vitest set the cwd there).
const ROOT = process.env.MENDFLOW_ROOT ?? process.cwd();

/** Names the migrated template database that the e2e global setup made (template-database.ts). */
export const E2E_TEMPLATE_DATABASE = 'MENDFLOW_E2E_TEMPLATE_DATABASE';

export const BOOTSTRAP_KEY = 'mf_e2e_bootstrap_key_0123456789abcdef';
export const ADMIN = { email: 'owner@e2e.test', password: 'correct horse battery staple' };

export interface Stack {
  apiUrl: string;
  databaseUrl: string;
  redisUrl: string;
  env: NodeJS.ProcessEnv;
  logs: () => string;
  /** The API process as it is now (restartApi replaces it): its output, e.g. to check the log format. */
  api(): ManagedProcess;
  /** Starts a new API process on the same port, once the previous one has exited (stop it first). */
  restartApi(): Promise<ManagedProcess>;
  /** The workers started so far, in order. */
  workers: readonly ManagedProcess[];
  startWorker(extraEnv?: NodeJS.ProcessEnv): Promise<WorkerProcess>;
  stop(): Promise<void>;
}

export interface ManagedProcess {
  child: ChildProcess;
  output: () => string;
  /** Standard output alone (the process's log lines; npm may add its own text on stderr). */
  stdout: () => string;
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

export interface WorkerProcess extends ManagedProcess {
  /** Base URL of the worker's health server (/healthz, /readyz, /metrics). */
  healthUrl: string;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** Starts a root npm script (`start:api`, `start:worker`) as its own process group, capturing output. */
export function startScript(script: string, env: NodeJS.ProcessEnv): ManagedProcess {
  const child = spawn('npm', ['run', '--silent', script], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    child,
    output: () => output,
    stdout: () => stdout,
    /**
     * Signals the whole process group (npm and the node process it started) and resolves once every
     * process in it is gone; after `graceMs` the stragglers are killed.
     */
    async stop(signal = 'SIGTERM', graceMs = 15_000) {
      const group = -child.pid!;
      const alive = () => {
        try {
          process.kill(group, 0);
          return true;
        } catch {
          return false;
        }
      };
      if (!alive()) return;
      process.kill(group, signal);
      const deadline = Date.now() + graceMs;
      while (alive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      if (alive()) process.kill(group, 'SIGKILL');
      while (alive()) await new Promise((resolve) => setTimeout(resolve, 50));
    },
  };
}

export async function waitFor(url: string, what: ManagedProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (what.child.exitCode !== null) throw new Error(`process exited early:\n${what.output()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not become ready:\n${what.output()}`);
}

/**
 * The whole back end as users run it: a fresh database migrated with the real `prisma migrate deploy`,
 * a Redis database of its own, and `npm run start:api` / `start:worker` as separate processes.
 * `worker: false` starts the API alone, for tests that drive run state themselves (startWorker still works).
 * `apiEnv` is added to the API's environment only (e.g. TRUST_PROXY, METRICS_TOKEN).
 */
/** The environment of a test or benchmark stack's processes: its database, Redis, port and first admin. */
export function stackEnv(target: { databaseUrl: string; redisUrl: string; port: number }): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: target.databaseUrl,
    REDIS_URL: target.redisUrl,
    PORT: String(target.port),
    MENDFLOW_SECRET_KEY: 'ab'.repeat(32),
    MENDFLOW_ADMIN_EMAIL: ADMIN.email,
    MENDFLOW_ADMIN_PASSWORD: ADMIN.password,
    MENDFLOW_BOOTSTRAP_API_KEY: BOOTSTRAP_KEY,
    LOG_LEVEL: 'warn',
  };
}

export async function startStack(
  label: string,
  options: { redisDb: number; workerEnv?: NodeJS.ProcessEnv; apiEnv?: NodeJS.ProcessEnv; worker?: boolean },
): Promise<Stack> {
  const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const dbName = `mendflow_e2e_${label}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  // Under vitest, a copy of the database the e2e global setup migrated with the real `prisma migrate
  // deploy` (template-database.ts): the same schema and migration history, without paying for deploy
  // again. Benchmarks, which import this outside vitest, migrate their own.
  const template = process.env[E2E_TEMPLATE_DATABASE];
  await admin.query(`CREATE DATABASE "${dbName}"${template ? ` TEMPLATE "${template}"` : ''}`);
  await admin.end();
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${dbName}`;
  const databaseUrl = dbUrl.toString();

  const redisUrl = `${(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '')}/${options.redisDb}`;
  const redis = new Redis(redisUrl);
  await redis.flushdb();
  redis.disconnect();

  if (!template) {
    execFileSync('npx', ['--no-install', 'prisma', 'migrate', 'deploy'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, CHECKPOINT_DISABLE: '1' },
      stdio: 'pipe',
    });
  }

  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...stackEnv({ databaseUrl, redisUrl, port }), WORKER_CONCURRENCY: '4' };
  const apiUrl = `http://127.0.0.1:${port}`;
  let api = startScript('start:api', { ...env, ...options.apiEnv });
  await waitFor(`${apiUrl}/readyz`, api);
  const workers: ManagedProcess[] = [];
  const startWorker = async (extraEnv: NodeJS.ProcessEnv = {}) => {
    const workerPort = await freePort();
    const worker = startScript('start:worker', {
      ...env,
      ...options.workerEnv,
      ...extraEnv,
      WORKER_HEALTH_PORT: String(workerPort),
    });
    workers.push(worker);
    const healthUrl = `http://127.0.0.1:${workerPort}`;
    await waitFor(`${healthUrl}/healthz`, worker);
    return { ...worker, healthUrl };
  };
  if (options.worker !== false) await startWorker();

  return {
    apiUrl,
    databaseUrl,
    redisUrl,
    env,
    workers,
    startWorker,
    api: () => api,
    async restartApi() {
      api = startScript('start:api', { ...env, ...options.apiEnv });
      await waitFor(`${apiUrl}/readyz`, api);
      return api;
    },
    logs: () => [api, ...workers].map((p) => p.output()).join('\n'),
    async stop() {
      await Promise.all([api, ...workers].map((p) => p.stop()));
      const dropper = new pg.Client({ connectionString: adminUrl });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      await dropper.end();
    },
  };
}
