import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient, waitForRun } from './support/client';
import { type ManagedProcess, type Stack, startStack } from './support/stack';

// The process logs as operators get them (docs/operations.md, "Logs"): JSON lines from the real API
// and worker, with the run's id and attempt on the worker's lines, and no secret value anywhere.
let stack: Stack;
let api: Api;
const SECRET = `s3cr3t-${randomBytes(12).toString('hex')}`;

type Line = Record<string, unknown>;

/** Every line of a process's standard output, parsed; a line that is not JSON fails the test. */
function lines(process: ManagedProcess): Line[] {
  return process
    .stdout()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Line;
      } catch {
        throw new Error(`not a JSON log line: ${line}`);
      }
    });
}

/** Polls a process's lines until one matches: lines are written after the state they report. */
async function lineMatching(process: ManagedProcess, match: (line: Line) => boolean): Promise<Line> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = lines(process).find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no matching log line in:\n${process.stdout()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  stack = await startStack('logs', {
    redisDb: 12,
    apiEnv: { LOG_LEVEL: 'info' },
    workerEnv: { LOG_LEVEL: 'debug' },
  });
  api = apiClient(stack.apiUrl);
});

afterAll(async () => {
  await stack?.stop();
});

describe('structured logs', () => {
  let runId: string;

  it('runs a script that leaks its secret in its log and its error', async () => {
    expect((await api('PUT', '/api/v1/secrets/LOG_PROBE_TOKEN', { value: SECRET })).status).toBe(200);
    const created = await api('POST', '/api/v1/automations', {
      name: 'leaks-its-token',
      source: `export default async function run(input, ctx) {
         const token = await ctx.secrets.get('LOG_PROBE_TOKEN');
         ctx.log.info('calling with ' + token, { token });
         console.log('token', token);
         throw new Error('the upstream refused token ' + token);
       }`,
      manifest: { permissions: { secrets: ['LOG_PROBE_TOKEN'] } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const started = await api('POST', `/api/v1/automations/${created.body.id}/runs`, {});
    expect(started.status).toBe(202);
    runId = started.body.id;
    const run = await waitForRun(api, runId, ['failed', 'action_needed']);
    expect(JSON.stringify(run)).toContain('the upstream refused token ***');
  });

  it('writes one JSON object per stdout line, with time, level and service, in both processes', () => {
    for (const [process, service] of [
      [stack.api(), 'api'],
      ...stack.workers.map((worker) => [worker, 'worker'] as const),
    ] as const) {
      const parsed = lines(process);
      expect(parsed.length).toBeGreaterThan(0);
      for (const line of parsed) {
        expect(line, JSON.stringify(line)).toMatchObject({ service, level: expect.any(String) });
        expect(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).toContain(line.level);
        expect(new Date(line.time as string).toISOString()).toBe(line.time);
        expect(typeof line.msg).toBe('string');
      }
    }
    // Nest's own boot lines and the app's, each with its logger's name.
    expect(lines(stack.api())).toContainEqual(
      expect.objectContaining({ context: 'Api', msg: expect.stringMatching(/listening on :\d+/) }),
    );
  });

  it("puts the run's id and attempt on the worker's lines about that run", async () => {
    const worker = stack.workers[0]!;
    const ended = await lineMatching(worker, (line) => line.runId === runId && line.outcome !== undefined);
    expect(ended).toMatchObject({
      context: 'RunExecutor',
      runId,
      attempt: 1,
      automationId: expect.any(String),
      workspaceId: expect.any(String),
      runStatus: expect.stringMatching(/failed|action_needed/),
    });
    const aboutTheRun = lines(worker).filter((line) => String(line.msg).includes(runId));
    expect(aboutTheRun.length).toBeGreaterThanOrEqual(2); // started (debug) and ended
    for (const line of aboutTheRun) expect(line).toMatchObject({ runId, attempt: 1 });
  });

  it('gives each request an id, answered in X-Request-Id, and the run id when the path names one', async () => {
    const response = await fetch(`${stack.apiUrl}/api/v1/runs/${runId}`, {
      headers: { authorization: `Bearer ${stack.env.MENDFLOW_BOOTSTRAP_API_KEY}` },
    });
    expect(response.status).toBe(200);
    const requestId = response.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const line = await lineMatching(stack.api(), (l) => l.requestId === requestId);
    expect(line).toMatchObject({
      context: 'Http',
      msg: 'request completed',
      method: 'GET',
      route: '/api/v1/runs/:id',
      status: 200,
      runId,
      durationMs: expect.any(Number),
    });
  });

  it('never writes the secret value, in either process, on stdout or stderr', () => {
    const everything = stack.logs();
    expect(everything).toContain(runId); // the logs do talk about the run
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(Buffer.from(SECRET).toString('base64').replace(/=+$/, ''));
    expect(everything).not.toContain(stack.env.MENDFLOW_BOOTSTRAP_API_KEY!);
  });
});
