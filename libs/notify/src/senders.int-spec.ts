/**
 * The email sender against a real SMTP server (smtp-server, with authentication): the message arrives
 * with its title, text and link; a refused login fails with a reason that holds no credential.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelTarget } from './channels';
import { renderMessage } from './message';
import { NotificationSendError, sendNotification } from './senders';

const PASSWORD = 'smtp-secret-4b7e9d';
let server: SMTPServer;
let port: number;
const received: { to: string[]; subject: string; text: string; raw: string }[] = [];

const message = renderMessage(
  {
    topic: 'inbox.opened',
    automation: { id: '00000000-0000-4000-8000-000000000001', name: 'billing' },
    runId: '00000000-0000-4000-8000-000000000002',
    inboxItemId: '00000000-0000-4000-8000-000000000003',
    kind: 'auth_required',
    title: 'CRM refused the token',
    reason: 'the CRM answered 401',
  },
  { webUrl: 'http://dashboard.test' },
);

function target(password: string): ChannelTarget {
  return {
    kind: 'email',
    config: {
      to: ['ops@example.com', 'oncall@example.com'],
      from: 'mendflow@example.com',
      smtp: { host: '127.0.0.1', port, secure: false, user: 'mailer' },
    },
    password,
  };
}

beforeAll(async () => {
  server = new SMTPServer({
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    onAuth(auth, _session, callback) {
      if (auth.username === 'mailer' && auth.password === PASSWORD) return callback(null, { user: 'mailer' });
      // Servers do quote what they were sent; the sender must not pass it on.
      return callback(new Error(`invalid credentials for mailer/${auth.password}`));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        void simpleParser(raw).then((parsed) => {
          received.push({
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            raw,
          });
          callback();
        }, callback);
      });
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  port = (server.server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

describe('the email sender (a real SMTP server)', () => {
  it('sends the title as subject, the text and the link, to every recipient', async () => {
    await sendNotification(target(PASSWORD), message, { deliveryId: 'd1', timeoutMs: 5000 });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      to: ['ops@example.com', 'oncall@example.com'],
      subject: '[billing] Action needed: CRM refused the token',
    });
    expect(received[0]!.text).toContain('http://dashboard.test/runs/00000000-0000-4000-8000-000000000002');
    expect(received[0]!.raw).not.toContain(PASSWORD);
  });

  it('a refused login fails with a reason that holds no credential', async () => {
    const wrong = 'wrong-password-91c3';
    const error = await sendNotification(target(wrong), message, { deliveryId: 'd2', timeoutMs: 5000 }).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(NotificationSendError);
    const reason = (error as Error).message;
    expect(reason).toMatch(/invalid credentials/i);
    expect(reason).not.toContain(wrong);
    expect(reason).not.toContain(Buffer.from(`\u0000mailer\u0000${wrong}`).toString('base64'));
  });
});

describe('the Slack-compatible sender (a real HTTP receiver)', () => {
  it("posts Slack's incoming-webhook JSON, and a refusal's reason holds no part of the secret URL", async () => {
    const posts: { path: string; type: string; body: string }[] = [];
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        posts.push({ path: request.url ?? '', type: String(request.headers['content-type']), body });
        const refused = (request.url ?? '').includes('revoked');
        response
          .writeHead(refused ? 404 : 200, { 'content-type': 'text/plain' })
          .end(refused ? 'no_service' : 'ok');
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    const base = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
    try {
      const secretPath = '/services/T0001/B0001/s3cr3tTokenXYZ';
      await sendNotification({ kind: 'slack', webhookUrl: `${base}${secretPath}` }, message, {
        deliveryId: 'd3',
        timeoutMs: 5000,
      });
      expect(posts[0]).toMatchObject({ path: secretPath });
      expect(posts[0]!.type).toMatch(/^application\/json/);
      const body = JSON.parse(posts[0]!.body) as { text: string; blocks: unknown[] };
      expect(body.text).toContain('CRM refused the token');
      expect(JSON.stringify(body.blocks)).toContain('the CRM answered 401');

      const revoked = '/services/T0001/B0001/revokedTokenABC';
      const error = await sendNotification({ kind: 'slack', webhookUrl: `${base}${revoked}` }, message, {
        deliveryId: 'd4',
        timeoutMs: 5000,
      }).then(
        () => null,
        (failure: unknown) => failure,
      );
      expect(error).toBeInstanceOf(NotificationSendError);
      expect((error as Error).message).toMatch(/404/);
      expect((error as Error).message).not.toContain('revokedTokenABC');
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });
});
