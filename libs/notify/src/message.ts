import type { NotificationTopic } from '@mendflow/contracts';

/**
 * What a notification is about, as the dispatcher loaded it. Only facts meant for people: an inbox
 * item's reason (already redacted of secret values by the sandbox) but never its evidence, a run's
 * error message but never its output or logs.
 */
export type NotificationSubject =
  | {
      topic: 'inbox.opened';
      automation: { id: string; name: string };
      runId: string;
      inboxItemId: string;
      /** The inbox item's kind: approval, auth_failure, policy_violation, … */
      kind: string;
      title: string;
      reason: string;
    }
  | {
      topic: 'run.failed';
      automation: { id: string; name: string };
      runId: string;
      reason: string;
    }
  | {
      topic: 'repair.deployed';
      automation: { id: string; name: string };
      runId: string;
      repairId: string;
      version: number;
    };

/** The message as every channel sends it, and as notification_deliveries.message records it. */
export interface NotificationMessage {
  topic: NotificationTopic;
  title: string;
  text: string;
  /** The dashboard page to act on (the run's page, which shows its inbox item). */
  url: string;
  automation: { id: string; name: string };
  runId: string;
  inboxItemId: string | null;
  repairId: string | null;
  /** The inbox item's kind (inbox.opened), null otherwise. */
  kind: string | null;
  reason: string | null;
}

/** Long enough for a sentence of context, short enough for a chat line and a subject. */
const MAX_REASON = 1000;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The message of a subject; pure, so what is sent is exactly what is recorded. */
export function renderMessage(
  subject: NotificationSubject,
  options: { webUrl: string },
): NotificationMessage {
  const base = options.webUrl.replace(/\/+$/, '');
  const url = `${base}/runs/${subject.runId}`;
  const automation = subject.automation;
  switch (subject.topic) {
    case 'inbox.opened': {
      const reason = clip(subject.reason, MAX_REASON);
      return {
        topic: subject.topic,
        title: `[${automation.name}] ${subject.kind === 'approval' ? 'Approval requested' : 'Action needed'}: ${clip(subject.title, 200)}`,
        text: `${automation.name} needs a person: ${reason}\nOpen: ${url}`,
        url,
        automation,
        runId: subject.runId,
        inboxItemId: subject.inboxItemId,
        repairId: null,
        kind: subject.kind,
        reason,
      };
    }
    case 'run.failed': {
      const reason = clip(subject.reason, MAX_REASON);
      return {
        topic: subject.topic,
        title: `[${automation.name}] Run failed`,
        text: `A run of ${automation.name} failed: ${reason}\nOpen: ${url}`,
        url,
        automation,
        runId: subject.runId,
        inboxItemId: null,
        repairId: null,
        kind: null,
        reason,
      };
    }
    case 'repair.deployed':
      return {
        topic: subject.topic,
        title: `[${automation.name}] Repair deployed as version ${subject.version}`,
        text: `A repair of ${automation.name} was deployed as version ${subject.version}; the run resumes on it.\nOpen: ${url}`,
        url,
        automation,
        runId: subject.runId,
        inboxItemId: null,
        repairId: subject.repairId,
        kind: null,
        reason: null,
      };
  }
}

/** What `POST /notification-channels/:id/test` sends: clearly a test, tied to nothing. */
export function testMessage(channelName: string, options: { webUrl: string }): NotificationMessage {
  const url = options.webUrl.replace(/\/+$/, '');
  return {
    topic: 'inbox.opened',
    title: `Mendflow test notification for channel ${channelName}`,
    text: `This is a test of the notification channel ${channelName}. Nothing needs doing.\nOpen: ${url}`,
    url,
    automation: { id: '00000000-0000-0000-0000-000000000000', name: 'test' },
    runId: '00000000-0000-0000-0000-000000000000',
    inboxItemId: null,
    repairId: null,
    kind: 'test',
    reason: null,
  };
}
