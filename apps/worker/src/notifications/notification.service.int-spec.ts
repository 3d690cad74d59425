/**
 * Notifications against real PostgreSQL and Redis, with a real HTTP receiver: the engine's transitions
 * dispatch, one delivery per matching channel is recorded and sent (signed), a repeated dispatch adds
 * nothing, a failing receiver is retried with backoff until the delivery ends failed with the reason,
 * the automation's manifest narrows the channels, and the reconciler's pass re-sends what lost its job.
 */
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { defaultManifest, SecretBox } from '@mendflow/common';
import type { NotificationTopic } from '@mendflow/contracts';
import {
  AutomationsRepository,
  createDb,
  type Db,
  InboxRepository,
  NotificationsRepository,
  RepairsRepository,
  RunExecutionRepository,
  RunsRepository,
} from '@mendflow/db';
import { channelSecretContext, generateSigningSecret, verifySignature } from '@mendflow/notify';
import { QueueNames, redisConnection } from '@mendflow/queue';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  seedAutomation,
  type TestDatabase,
} from '../../../../libs/db/src/testing/test-database';
import { createTestEngine, type TestEngine } from '../../../../libs/engine/src/testing/test-engine';
import type { WorkerConfig } from '../config/worker-config';
import { NotificationProcessor } from './notification.processor';
import { WorkerMetrics } from '../health/worker-metrics';
import { NotificationService } from './notification.service';
import { testRedis } from '../../../../libs/queue/src/testing/test-redis';

/** Redis db 6 and a prefix of this file's own. */
const { redisUrl, prefix } = testRedis(6, 'notify');
const box = new SecretBox('cd'.repeat(32));
const config = {
  MENDFLOW_WEB_URL: 'http://dashboard.test',
  NOTIFY_RETRY_BASE_MS: 20,
  NOTIFY_TIMEOUT_MS: 2000,
} as WorkerConfig;

let database: TestDatabase;
let db: Db;
let testEngine: TestEngine;
let notifications: NotificationsRepository;
let service: NotificationService;
let worker: Worker;
let receiver: Server;
let receiverUrl: string;
let seeded: Awaited<ReturnType<typeof seedAutomation>>;
const received: { path: string; signature: string; body: string }[] = [];

async function channel(
  name: string,
  options: { path?: string; topics?: NotificationTopic[]; enabled?: boolean } = {},
) {
  const id = crypto.randomUUID();
  const secret = generateSigningSecret();
  await notifications.createChannel(seeded.workspaceId, {
    id,
    name,
    kind: 'webhook',
    config: { url: `${receiverUrl}${options.path ?? `/${name}`}` },
    secretCiphertext: box.seal(secret, channelSecretContext(seeded.workspaceId, id)),
    topics: options.topics ?? ['inbox.opened'],
    enabled: options.enabled ?? true,
  });
  return { id, secret };
}

/** A run in `running`, ready for the engine to escalate or fail. */
async function runningRun(): Promise<string> {
  const { run } = await new RunsRepository(db).createQueued(seeded.workspaceId, {
    automationId: seeded.automationId,
    versionId: seeded.versionId,
    trigger: 'api',
    input: {},
  });
  await new RunExecutionRepository(db).beginAttempt(seeded.workspaceId, run.id);
  return run.id;
}

async function escalate(runId: string) {
  const transition = await testEngine.engine.escalate(
    { workspaceId: seeded.workspaceId, runId, automationId: seeded.automationId, attempt: 1 },
    {
      kind: 'policy_violation',
      title: 'Blocked request',
      reason: 'fetch to evil.test is not allowed',
      evidence: { secretish: 'never-in-a-message' },
      actions: ['retry', 'cancel'],
    },
    { attempt: 1, reason: 'fetch to evil.test is not allowed' },
  );
  return transition!.inboxItemId!;
}

const metrics = new WorkerMetrics();

async function deliveryTries(outcome: string): Promise<number> {
  const { values } = await metrics.notificationDeliveries.get();
  return values.find((v) => v.labels.channel_kind === 'webhook' && v.labels.outcome === outcome)?.value ?? 0;
}

async function deliveriesOf(subjectId: string) {
  return db.notificationDelivery.findMany({
    where: { subjectId },
    include: { channel: { select: { name: true } } },
    orderBy: { createdAt: 'asc' },
  });
}

async function settled(subjectId: string, count: number) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const rows = await deliveriesOf(subjectId);
    if (rows.length === count && rows.every((row) => row.status !== 'pending')) return rows;
    if (Date.now() > deadline) throw new Error(`deliveries did not settle: ${JSON.stringify(rows)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function setManifestChannels(channels: string[] | undefined) {
  const manifest = defaultManifest();
  const version = await new AutomationsRepository(db).addVersion(seeded.workspaceId, seeded.automationId, {
    source: 'export default async () => 1',
    language: 'javascript',
    manifest: { ...manifest, notifications: channels ? { channels } : {} },
    createdByKind: 'user',
    createdBy: seeded.userId,
  });
  seeded = { ...seeded, versionId: version.id };
}

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const path = request.url ?? '/';
      received.push({ path, signature: String(request.headers['x-mendflow-signature']), body });
      response.writeHead(path === '/fail' ? 500 : 204).end();
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;

  database = await createTestDatabase('notifications');
  db = createDb(database.url, { poolSize: 4 });
  seeded = await seedAutomation(db, 'notify');
  testEngine = createTestEngine(db, { redisUrl, prefix });
  notifications = new NotificationsRepository(db);
  service = new NotificationService(
    notifications,
    new InboxRepository(db),
    new RunsRepository(db),
    new RepairsRepository(db),
    new AutomationsRepository(db),
    testEngine.jobs,
    box,
    config,
    metrics,
  );
  const processor = new NotificationProcessor(service);
  worker = new Worker(QueueNames.notifications, (job) => processor.process(job), {
    connection: redisConnection(redisUrl),
    prefix,
  });
});

afterAll(async () => {
  await worker?.close();
  await testEngine?.close();
  await db?.$disconnect();
  await database?.drop();
  await new Promise((resolve) => receiver?.close(resolve));
});

describe('notifications (PostgreSQL, Redis, a real HTTP receiver)', () => {
  it('an inbox item opened by the engine is delivered, signed, to each matching channel once', async () => {
    const ops = await channel('ops');
    await channel('run-failures', { topics: ['run.failed'] });
    await channel('off', { enabled: false });
    const itemId = await escalate(await runningRun());

    const [delivery, ...others] = await settled(itemId, 1);
    expect(others).toEqual([]);
    expect(delivery).toMatchObject({
      status: 'delivered',
      attempts: 1,
      lastError: null,
      topic: 'inbox.opened',
    });
    expect(delivery!.channel.name).toBe('ops');
    const post = received.find((r) => r.path === '/ops')!;
    expect(verifySignature(ops.secret, post.body, post.signature)).toBe(true);
    expect(JSON.parse(post.body)).toMatchObject({
      deliveryId: delivery!.id,
      inboxItemId: itemId,
      kind: 'policy_violation',
      reason: 'fetch to evil.test is not allowed',
      automation: { id: seeded.automationId, name: 'notify' },
    });
    expect(post.body).not.toContain('never-in-a-message');

    // Told again (a repeated job, a retried dispatch): no second delivery, no second POST.
    expect(
      await service.dispatch({ workspaceId: seeded.workspaceId, topic: 'inbox.opened', subjectId: itemId }),
    ).toBe(0);
    expect(await deliveriesOf(itemId)).toHaveLength(1);
    expect(received.filter((r) => r.path === '/ops')).toHaveLength(1);
  });

  it('a failing receiver is retried with backoff, each try recorded, then the delivery ends failed', async () => {
    await channel('broken', { path: '/fail', topics: ['run.failed'] });
    const before = {
      delivered: await deliveryTries('delivered'),
      retry: await deliveryTries('retry'),
      failed: await deliveryTries('failed'),
    };
    const runId = await runningRun();
    await escalate(runId);
    const rejected = await testEngine.engine.reject(
      { workspaceId: seeded.workspaceId, runId },
      { by: seeded.userId, reason: 'not worth retrying' },
    );
    expect(rejected?.status).toBe('failed');

    const rows = await settled(runId, 2);
    const broken = rows.find((row) => row.channel.name === 'broken')!;
    expect(broken).toMatchObject({
      status: 'failed',
      attempts: 6,
      lastError: 'the receiver answered HTTP 500',
      topic: 'run.failed',
    });
    expect(rows.find((row) => row.channel.name === 'run-failures')).toMatchObject({ status: 'delivered' });
    expect(received.filter((r) => r.path === '/fail')).toHaveLength(6);
    // Every try is counted by channel kind and outcome: five retries and the last failure of the broken
    // channel; run-failures' delivery (and the ops channel's of the inbox item, whenever it lands).
    expect({
      retry: (await deliveryTries('retry')) - before.retry,
      failed: (await deliveryTries('failed')) - before.failed,
    }).toEqual({ retry: 5, failed: 1 });
    expect((await deliveryTries('delivered')) - before.delivered).toBeGreaterThanOrEqual(1);
  });

  it("the deployed manifest's notifications.channels narrows the channels ([] for none)", async () => {
    await channel('pager');
    await setManifestChannels(['pager']);
    const narrowed = await escalate(await runningRun());
    expect((await settled(narrowed, 1)).map((row) => row.channel.name)).toEqual(['pager']);

    await setManifestChannels([]);
    const silenced = await escalate(await runningRun());
    expect(
      await service.dispatch({ workspaceId: seeded.workspaceId, topic: 'inbox.opened', subjectId: silenced }),
    ).toBe(0);
    expect(await deliveriesOf(silenced)).toEqual([]);
    await setManifestChannels(undefined);
  });

  it('the reconciler pass re-enqueues a pending delivery whose job is gone', async () => {
    const { id } = await channel('late');
    const subjectId = crypto.randomUUID();
    const [deliveryId] = await notifications.createDeliveries(seeded.workspaceId, {
      topic: 'inbox.opened',
      subjectId,
      runId: null,
      channelIds: [id],
      message: { title: 'lost in Redis', text: 'x', url: 'http://dashboard.test' },
    });
    await db.$executeRaw`UPDATE notification_deliveries SET updated_at = now() - interval '5 minutes' WHERE id = ${deliveryId}::uuid`;
    expect(await service.redeliverStale()).toBe(1);
    expect((await settled(subjectId, 1))[0]).toMatchObject({ status: 'delivered' });
    expect(await service.redeliverStale()).toBe(0);
  });

  it('the reconciler pass dispatches an inbox item whose dispatch job was lost, once', async () => {
    const runId = await runningRun();
    // An item the engine committed a while ago whose dispatch job never reached Redis.
    const [item] = await db.$queryRaw<{ id: string }[]>`
      INSERT INTO inbox_items (workspace_id, run_id, automation_id, kind, title, reason, actions, created_at)
      VALUES (${seeded.workspaceId}::uuid, ${runId}::uuid, ${seeded.automationId}::uuid, 'unknown_failure',
              'Lost in Redis', 'the dispatch job vanished', ARRAY['retry'], now() - interval '5 minutes')
      RETURNING id`;
    const id = item!.id;
    expect(await service.redispatchLost()).toBe(1);
    const deadline = Date.now() + 15_000;
    while ((await deliveriesOf(id)).length === 0) {
      if (Date.now() > deadline) throw new Error('the lost dispatch was not run again');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await deliveriesOf(id)).every((d) => d.topic === 'inbox.opened')).toBe(true);
    expect(await service.redispatchLost()).toBe(0);
  });
});
