import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import {
  createDb,
  type Db,
  type RunEventRecord,
  RunExecutionRepository,
  type StartedAttempt,
} from '@mendflow/db';
import { LiveEventsPublisher } from '@mendflow/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient } from './support/client';
import { connectLive, eventually, type LiveClient, pause, range } from './support/live';
import { BOOTSTRAP_KEY, type Stack, startStack } from './support/stack';
import { createWorkspace, type TestWorkspace } from './support/workspaces';

// Socket.IO gateway over the real API process, PostgreSQL and Redis. No worker runs: the test moves runs
// along itself exactly as the worker does (append to PostgreSQL, then publish through Redis), so every
// seq is known and the assertions can be exact.

let stack: Stack;
let db: Db;
let execution: RunExecutionRepository;
let publisher: LiveEventsPublisher;
let other: TestWorkspace;
let apiA: Api;
let apiB: Api;
const clients: LiveClient[] = [];

interface Started {
  runId: string;
  automationId: string;
  workspaceId: string;
}

async function startRun(api: Api, automationName: string): Promise<Started> {
  const automation = await api('POST', '/api/v1/automations', {
    name: automationName,
    source: 'export default async function run(input, ctx) { return { ok: true }; }',
  });
  expect(automation.status, JSON.stringify(automation.body)).toBe(201);
  const run = await api('POST', `/api/v1/automations/${automation.body.id}/runs`, {});
  expect(run.status, JSON.stringify(run.body)).toBe(202);
  const me = await api('GET', '/api/v1/me');
  return { runId: run.body.id, automationId: automation.body.id, workspaceId: me.body.workspace.id };
}

function publish(run: Started, event: RunEventRecord): void {
  publisher.publishRunEvent({ ...event, automationId: run.automationId });
}

/** Appends `count` events to the run's timeline in PostgreSQL, publishing each after it is committed. */
async function append(run: Started, count: number): Promise<RunEventRecord[]> {
  const events: RunEventRecord[] = [];
  for (let i = 0; i < count; i += 1) {
    const event = await execution.appendEvent(run.workspaceId, run.runId, 'test.note', { i });
    if (!event) throw new Error(`run ${run.runId} not found`);
    publish(run, event);
    events.push(event);
  }
  return events;
}

async function connect(token: string, apiUrl = stack.apiUrl): Promise<LiveClient> {
  const client = await connectLive(apiUrl, { token });
  clients.push(client);
  return client;
}

let replica: ChildProcess | undefined;

/** A second API process on the same PostgreSQL and Redis, as a scaled-out deployment runs it. */
async function startReplica(): Promise<string> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  let output = '';
  replica = spawn(process.execPath, ['--enable-source-maps', 'apps/api/dist/main.js'], {
    env: { ...stack.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  replica.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  replica.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (replica.exitCode !== null) throw new Error(`replica exited:\n${output}`);
    if (
      await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return url;
    if (Date.now() > deadline) throw new Error(`replica not ready:\n${output}`);
    await pause(200);
  }
}

beforeAll(async () => {
  stack = await startStack('live_events', { redisDb: 13, worker: false });
  db = createDb(stack.databaseUrl, { poolSize: 2 });
  execution = new RunExecutionRepository(db);
  publisher = new LiveEventsPublisher(stack.redisUrl);
  other = await createWorkspace(stack.apiUrl, 'Other team');
  apiA = apiClient(stack.apiUrl);
  apiB = apiClient(stack.apiUrl, other.apiKey);
});

afterAll(async () => {
  for (const client of clients) client.close();
  if (replica && replica.exitCode === null) {
    const exited = once(replica, 'exit');
    replica.kill('SIGTERM');
    await exited;
  }
  await publisher?.close();
  await db?.$disconnect();
  await stack?.stop();
});

describe('live events over Socket.IO (namespace /events)', () => {
  it('refuses a connection without a valid API key or session', async () => {
    await expect(connectLive(stack.apiUrl)).rejects.toMatchObject({
      message: 'a valid API key or session is required',
      data: { code: 'UNAUTHENTICATED' },
    });
    await expect(
      connectLive(stack.apiUrl, { token: 'mf_not_a_key_0000000000000000000000' }),
    ).rejects.toMatchObject({
      data: { code: 'UNAUTHENTICATED' },
    });
  });

  it("gives each workspace only its own events and refuses the other workspace's run and automation as not found", async () => {
    const clientA = await connect(BOOTSTRAP_KEY);
    const clientB = await connect(other.apiKey);
    expect(await clientA.subscribe({ workspace: true })).toEqual({ ok: true });
    expect(await clientB.subscribe({ workspace: true })).toEqual({ ok: true });

    // The API publishes run.queued itself when it records a run.
    const runA = await startRun(apiA, 'live-a');
    const runB = await startRun(apiB, 'live-b');
    expect(runA.workspaceId).not.toBe(runB.workspaceId);
    await eventually(() => clientA.seqs(runA.runId).includes(1), 'run.queued of A');
    await eventually(() => clientB.seqs(runB.runId).includes(1), 'run.queued of B');
    expect(clientA.messages.find((m) => m.name === 'run.event')?.payload).toMatchObject({
      runId: runA.runId,
      automationId: runA.automationId,
      workspaceId: runA.workspaceId,
      seq: 1,
      type: 'run.queued',
      data: { trigger: 'api' },
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(clientA.messages.find((m) => m.name === 'run.status')?.payload).toEqual({
      runId: runA.runId,
      automationId: runA.automationId,
      status: 'queued',
    });

    // The worker's way: start an attempt (PostgreSQL), then publish what it appended and the new status.
    const started = (await execution.beginAttempt(runA.workspaceId, runA.runId)) as StartedAttempt | null;
    for (const event of started!.events) publish(runA, event);
    publisher.publishRunStatus({ ...runA, status: 'running' });
    await append(runA, 2);
    await append(runB, 1);
    publisher.publishInboxItem(runA.workspaceId, {
      id: randomUUID(),
      runId: runA.runId,
      automationId: runA.automationId,
      kind: 'approval',
    });
    await eventually(() => clientA.seqs(runA.runId).length === 4, "all of A's events");
    await eventually(() => clientA.messages.some((m) => m.name === 'inbox.item'), "A's inbox item");
    await eventually(() => clientB.seqs(runB.runId).length === 2, "all of B's events");
    await pause(300); // anything misrouted would have arrived by now

    expect(clientA.seqs(runA.runId)).toEqual([1, 2, 3, 4]);
    expect(clientB.seqs(runB.runId)).toEqual([1, 2]);
    expect(
      clientA.messages.every(
        (m) => m.payload.workspaceId === undefined || m.payload.workspaceId === runA.workspaceId,
      ),
    ).toBe(true);
    expect(clientA.messages.some((m) => m.payload.runId === runB.runId)).toBe(false);
    expect(clientB.messages.some((m) => m.payload.runId === runA.runId || m.name === 'inbox.item')).toBe(
      false,
    );

    // Another workspace's run or automation answers exactly like one that does not exist.
    const foreignRun = await clientB.subscribe({ runId: runA.runId, afterSeq: 0 });
    const missingRun = await clientB.subscribe({ runId: randomUUID() });
    expect(foreignRun).toMatchObject({ ok: false, error: { code: 'RUN_NOT_FOUND' } });
    expect(missingRun.error?.code).toBe(foreignRun.error?.code);
    expect(await clientB.subscribe({ automationId: runA.automationId })).toMatchObject({
      ok: false,
      error: { code: 'AUTOMATION_NOT_FOUND' },
    });
    expect(await clientB.subscribe({ runId: 'not-a-uuid' })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED' },
    });
    expect(await clientB.subscribe({ everything: true })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED' },
    });

    // The refused subscriptions let nothing through.
    await append(runA, 1);
    await eventually(() => clientA.seqs(runA.runId).length === 5, "A's fifth event");
    await pause(300);
    expect(clientB.messages.some((m) => m.payload.runId === runA.runId)).toBe(false);
  });

  it('delivers an automation subscription the runs of that automation only', async () => {
    const first = await startRun(apiA, 'live-automation-1');
    const second = await startRun(apiA, 'live-automation-2');
    const client = await connect(BOOTSTRAP_KEY);
    expect(await client.subscribe({ automationId: first.automationId })).toEqual({ ok: true });
    await append(second, 1);
    await append(first, 2);
    await eventually(() => client.seqs(first.runId).length === 2, "the automation's events");
    await pause(200);
    expect(client.seqs(first.runId)).toEqual([2, 3]);
    expect(client.seqs(second.runId)).toEqual([]);
  });

  it('catches a reconnecting client up from its last seq: exactly the missed events, once, in order', async () => {
    const run = await startRun(apiA, 'live-reconnect');
    const started = (await execution.beginAttempt(run.workspaceId, run.runId)) as StartedAttempt | null;
    for (const event of started!.events) publish(run, event);
    await append(run, 3); // seqs 1..5 stored

    const first = await connect(BOOTSTRAP_KEY);
    // The ack comes after the catch-up: everything stored by then has been delivered.
    expect(await first.subscribe({ runId: run.runId, afterSeq: 0 })).toEqual({ ok: true });
    expect(first.seqs(run.runId)).toEqual(range(1, 5));
    await append(run, 2);
    await eventually(() => first.seqs(run.runId).length === 7, 'live events 6 and 7');
    const lastSeen = first.seqs(run.runId).at(-1)!;
    first.close();

    const missed = await append(run, 5); // 8..12 published while nobody listens
    expect(missed.map((e) => e.seq)).toEqual(range(8, 12));

    const second = await connect(BOOTSTRAP_KEY);
    expect(await second.subscribe({ workspace: true })).toEqual({ ok: true }); // also in the workspace room
    expect(await second.subscribe({ runId: run.runId, afterSeq: lastSeen })).toEqual({ ok: true });
    expect(second.seqs(run.runId)).toEqual(range(8, 12));
    const caughtUp = second.messages.filter((m) => m.name === 'run.event').map((m) => m.payload);
    expect(caughtUp.map((e) => e.type)).toEqual(missed.map((e) => e.type));
    expect(caughtUp[0]).toMatchObject({
      runId: run.runId,
      automationId: run.automationId,
      workspaceId: run.workspaceId,
      data: { i: 0 },
    });

    // Live again: a repeated publish and an out-of-order pair still arrive once each, in seq order.
    const e13 = await execution.appendEvent(run.workspaceId, run.runId, 'test.note', { i: 13 });
    const e14 = await execution.appendEvent(run.workspaceId, run.runId, 'test.note', { i: 14 });
    publish(run, e14!); // 14 before 13: the gateway reads 13 back from PostgreSQL first
    publish(run, e13!);
    publish(run, e13!);
    await eventually(() => second.seqs(run.runId).length === 7, 'events 13 and 14');
    await pause(300);
    expect(second.seqs(run.runId)).toEqual(range(8, 14));
  });

  it('loses and repeats nothing when events are published while the catch-up is reading', async () => {
    const run = await startRun(apiA, 'live-race');
    await append(run, 20);
    const client = await connect(BOOTSTRAP_KEY);
    // A writer keeps appending and publishing while the client subscribes from the start.
    const writer = append(run, 40);
    const ack = await client.subscribe({ runId: run.runId, afterSeq: 0 });
    expect(ack).toEqual({ ok: true });
    await writer;
    await eventually(() => client.seqs(run.runId).length >= 61, 'all 61 events');
    await pause(300);
    expect(client.seqs(run.runId)).toEqual(range(1, 61));
  });

  it('delivers through every API replica: events published anywhere reach sockets on any of them', async () => {
    const replicaUrl = await startReplica();
    const onReplica = await connect(BOOTSTRAP_KEY, replicaUrl);
    const onFirst = await connect(BOOTSTRAP_KEY);
    expect(await onReplica.subscribe({ workspace: true })).toEqual({ ok: true });
    expect(await onFirst.subscribe({ workspace: true })).toEqual({ ok: true });
    const run = await startRun(apiA, 'live-replicas'); // run.queued published by the first API process
    const viaReplica = await apiClient(replicaUrl)(
      'POST',
      `/api/v1/automations/${run.automationId}/runs`,
      {},
    );
    await append(run, 2); // published by "the worker"
    await eventually(() => onReplica.seqs(run.runId).length === 3, 'all events on the replica');
    await eventually(
      () => onFirst.seqs(viaReplica.body.id).length === 1,
      "the replica's run.queued on the first API",
    );
    await pause(200);
    expect(onReplica.seqs(run.runId)).toEqual([1, 2, 3]);
    expect(onFirst.seqs(run.runId)).toEqual([1, 2, 3]);
    expect(onReplica.seqs(viaReplica.body.id)).toEqual([1]);

    // Revoking a key through one API closes its sockets on every replica.
    const created = await apiA('POST', '/api/v1/api-keys', { name: 'live-replica-revoke' });
    const doomed = await connect(created.body.key, replicaUrl);
    const disconnected = new Promise<string>((resolve) => doomed.socket.once('disconnect', resolve));
    expect((await apiA('DELETE', `/api/v1/api-keys/${created.body.id}`)).status).toBe(204);
    expect(await disconnected).toBe('io server disconnect');
  });

  it('ends a live connection when its API key is revoked', async () => {
    const created = await apiA('POST', '/api/v1/api-keys', { name: 'live-revoke' });
    expect(created.status).toBe(201);
    const client = await connect(created.body.key);
    expect(await client.subscribe({ workspace: true })).toEqual({ ok: true });
    const disconnected = new Promise<string>((resolve) => client.socket.once('disconnect', resolve));
    expect((await apiA('DELETE', `/api/v1/api-keys/${created.body.id}`)).status).toBe(204);
    expect(await disconnected).toBe('io server disconnect');
    await expect(connectLive(stack.apiUrl, { token: created.body.key })).rejects.toMatchObject({
      data: { code: 'UNAUTHENTICATED' },
    });
  });
});
