import nodemailer from 'nodemailer';
import type { ChannelTarget } from './channels';
import type { NotificationMessage } from './message';
import { scrubError } from './scrub';
import { SIGNATURE_HEADER, signPayload } from './signature';

/** A delivery that did not arrive; `message` is already scrubbed of the channel's secrets. */
export class NotificationSendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotificationSendError';
  }
}

export interface SendOptions {
  /** The delivery's id: a webhook receiver can de-duplicate retries by it. */
  deliveryId: string;
  timeoutMs: number;
}

/** The JSON a webhook channel receives. */
export function webhookBody(message: NotificationMessage, deliveryId: string): string {
  return JSON.stringify({ deliveryId, sentAt: new Date().toISOString(), ...message });
}

/** Slack's incoming-webhook format (also understood by Mattermost, Rocket.Chat and others). */
export function slackBody(message: NotificationMessage): string {
  return JSON.stringify({
    text: `${message.title}\n${message.text}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${escapeSlack(message.title)}*` } },
      { type: 'section', text: { type: 'mrkdwn', text: escapeSlack(message.text) } },
    ],
  });
}

function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeHtml(text: string): string {
  return escapeSlack(text).replace(/"/g, '&quot;');
}

/**
 * One POST; any answer but 2xx is a failure naming the status. Redirects are not followed: a channel
 * points at its receiver, and following one could carry the body (or a Slack credential's path)
 * somewhere nobody configured.
 */
async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Mendflow-Notifications', ...headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    const name = (error as Error).name;
    if (name === 'TimeoutError') throw new Error(`no answer within ${timeoutMs} ms`, { cause: error });
    throw new Error(`request failed: ${cause?.code ?? cause?.message ?? (error as Error).message}`, {
      cause: error,
    });
  }
  // The body is not needed; reading it frees the connection.
  await response.arrayBuffer().catch(() => undefined);
  if (response.status < 200 || response.status > 299) {
    throw new Error(`the receiver answered HTTP ${response.status}`);
  }
}

async function sendEmail(
  target: Extract<ChannelTarget, { kind: 'email' }>,
  message: NotificationMessage,
  timeoutMs: number,
): Promise<void> {
  const { smtp, to, from } = target.config;
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user && { auth: { user: smtp.user, pass: target.password ?? '' } }),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  try {
    await transport.sendMail({
      from,
      to,
      subject: message.title,
      text: message.text,
      html: `<p><strong>${escapeHtml(message.title)}</strong></p><p>${escapeHtml(message.text).replace(/\n/g, '<br>')}</p><p><a href="${escapeHtml(message.url)}">Open in Mendflow</a></p>`,
    });
  } finally {
    transport.close();
  }
}

function slackPath(url: string): string | null {
  const path = new URL(url).pathname;
  return path.length > 8 ? path : null;
}

/** Sends one message through one channel; throws NotificationSendError with a scrubbed reason. */
export async function sendNotification(
  target: ChannelTarget,
  message: NotificationMessage,
  options: SendOptions,
): Promise<void> {
  try {
    switch (target.kind) {
      case 'webhook': {
        const body = webhookBody(message, options.deliveryId);
        const signature = signPayload(target.signingSecret, body, Math.floor(Date.now() / 1000));
        await post(
          target.url,
          body,
          { [SIGNATURE_HEADER]: signature, 'X-Mendflow-Delivery': options.deliveryId },
          options.timeoutMs,
        );
        return;
      }
      case 'slack':
        await post(target.webhookUrl, slackBody(message), {}, options.timeoutMs);
        return;
      case 'email':
        await sendEmail(target, message, options.timeoutMs);
        return;
    }
  } catch (error) {
    const secrets =
      target.kind === 'webhook'
        ? [target.signingSecret]
        : target.kind === 'slack'
          ? // The path holds the credential too (hooks.slack.com/services/T…/B…/token).
            [target.webhookUrl, slackPath(target.webhookUrl)]
          : [target.password];
    const user = target.kind === 'email' ? target.config.smtp.user : undefined;
    throw new NotificationSendError(
      scrubError((error as Error).message || String(error), secrets, { ...(user && { user }) }),
    );
  }
}
