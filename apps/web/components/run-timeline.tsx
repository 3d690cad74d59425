'use client';

import { Anchor, Badge, Code, Group, Stack, Text, ThemeIcon, Timeline } from '@mantine/core';
import {
  IconAlertTriangle,
  IconBan,
  IconCheck,
  IconClockPause,
  IconHandStop,
  IconInbox,
  IconPlayerPlay,
  IconRefresh,
  IconRocket,
  IconSparkles,
  IconTool,
  IconX,
  IconCircleDashed,
  IconShieldCheck,
} from '@tabler/icons-react';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { parseRunEvent, summarizeRunEvent } from '@mendflow/contracts';
import type { RunEvent } from '@/lib/api';
import { formatAbsolute, formatClock, formatMs, humanize, shortId } from '@/lib/format';
import { FailureClassBadge } from './ui';
import { inboxItemHref } from './waiting-for';

type Data = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Data | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Data) : undefined;

interface Described {
  title: string;
  color: string;
  icon: ReactNode;
  body?: ReactNode;
}

function ErrorLine({ error }: { error: unknown }) {
  const e = obj(error);
  if (!e) return null;
  return (
    <Text size="sm" c="red.7" style={{ overflowWrap: 'anywhere' }}>
      <Text span fw={600} inherit>
        {str(e.name) ?? 'Error'}:
      </Text>{' '}
      {str(e.message) ?? ''}
    </Text>
  );
}

function ClassificationLine({
  classification,
  shownReason,
}: {
  classification: unknown;
  shownReason?: string;
}) {
  const c = obj(classification);
  if (!c || !str(c.class)) return null;
  return (
    <Group gap={6} wrap="nowrap" align="flex-start">
      <FailureClassBadge value={str(c.class)!} size="xs" />
      {str(c.reason) && str(c.reason) !== shownReason ? (
        <Text size="sm" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
          {str(c.reason)}
        </Text>
      ) : null}
    </Group>
  );
}

function Detail({ children }: { children: ReactNode }) {
  return (
    <Text size="sm" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
      {children}
    </Text>
  );
}

/** The whole text, under a title whose summary had to shorten it. */
function clipped(text: unknown): ReactNode {
  const value = str(text);
  return value && value.length > SUMMARY_TEXT_MAX ? <Detail>{value}</Detail> : undefined;
}
const SUMMARY_TEXT_MAX = 160;

function capsText(caps: Data): string {
  const parts: string[] = [];
  if (num(caps.maxFetches) !== undefined) parts.push(`${num(caps.maxFetches)} requests`);
  if (Array.isArray(caps.hosts) && caps.hosts.length) parts.push(caps.hosts.join(', '));
  return parts.join(' to ') || 'no extra capabilities';
}

function who(by: unknown): string {
  const id = str(by);
  if (!id) return 'someone';
  if (id === 'system' || id === 'scheduler' || id === 'worker') return id;
  return `user ${shortId(id)}`;
}

/**
 * Turns one run event into what the timeline shows: read through the catalog (`parseRunEvent`), titled
 * with the contracts' one-line summary, with details per type. Only the event's own data is used; an
 * unknown or malformed event shows its type and raw data.
 */
export function describeEvent(event: RunEvent): Described {
  const title = summarizeRunEvent(event);
  const parsed = parseRunEvent(event);
  if (!parsed.known) {
    const raw = event.data ?? {};
    return {
      title,
      color: 'gray',
      icon: <IconCircleDashed size={14} />,
      body: Object.keys(raw).length ? <Code block>{JSON.stringify(raw, null, 2)}</Code> : undefined,
    };
  }
  const d: Data = parsed.data;
  switch (parsed.type) {
    case 'run.queued': {
      const reason = str(d.reason);
      const trigger = str(d.trigger);
      return {
        title,
        color: 'gray',
        icon: <IconCircleDashed size={14} />,
        body: (
          <Detail>
            {reason ? reason : trigger ? `Triggered: ${humanize(trigger)}` : 'Waiting for a worker'}
            {d.by ? ` · by ${who(d.by)}` : ''}
            {num(d.version) !== undefined ? ` · version ${num(d.version)}` : ''}
          </Detail>
        ),
      };
    }
    case 'run.running':
      return {
        title,
        color: 'blue',
        icon: <IconPlayerPlay size={14} />,
      };
    case 'run.succeeded':
      return {
        title,
        color: 'teal',
        icon: <IconCheck size={14} />,
        body: (
          <Detail>
            Attempt {num(d.attempt) ?? '?'} · {formatMs(num(d.wallMs))} wall · {formatMs(num(d.cpuMs))} CPU
            {num(d.fetches) !== undefined
              ? ` · ${num(d.fetches)} ${num(d.fetches) === 1 ? 'fetch' : 'fetches'}`
              : ''}
          </Detail>
        ),
      };
    case 'run.retry_scheduled':
      return {
        title,
        color: 'yellow',
        icon: <IconRefresh size={14} />,
        body: (
          <Stack gap={4}>
            <Detail>
              Attempt {num(d.attempt) ?? '?'} failed after {formatMs(num(d.wallMs))}
              {str(d.nextAttemptAt) ? ` · next attempt at ${formatClock(str(d.nextAttemptAt)!)}` : ''}
            </Detail>
            <ErrorLine error={d.error} />
            <ClassificationLine classification={d.classification} />
          </Stack>
        ),
      };
    case 'run.repairing':
      return {
        title,
        color: 'grape',
        icon: <IconTool size={14} />,
        body: (
          <Stack gap={4}>
            <Detail>
              Attempt {num(d.attempt) ?? '?'} failed; asking {str(d.provider) ?? 'the repair provider'} for a
              fix
              {str(d.repairId) ? ` (repair ${shortId(str(d.repairId)!)})` : ''}
            </Detail>
            <ErrorLine error={d.error} />
            <ClassificationLine classification={d.classification} />
          </Stack>
        ),
      };
    case 'repair.proposed': {
      const tokens = obj(d.tokens);
      return {
        title,
        color: 'grape',
        icon: <IconSparkles size={14} />,
        body: (
          <Stack gap={4}>
            <Detail>
              {str(d.provider) ?? 'provider'}
              {str(d.model) ? ` · ${str(d.model)}` : ''}
              {tokens && num(tokens.total) !== undefined ? ` · ${num(tokens.total)} tokens` : ''}
            </Detail>
            {str(d.explanation) ? <Text size="sm">“{str(d.explanation)}”</Text> : null}
          </Stack>
        ),
      };
    }
    case 'repair.validated': {
      const passed = d.passed === true;
      return {
        title,
        color: passed ? 'teal' : 'red',
        icon: <IconShieldCheck size={14} />,
        body: (
          <Stack gap={4}>
            {str(d.reason) ? <Detail>{str(d.reason)}</Detail> : null}
            <Group gap={6}>
              {typeof d.lintOk === 'boolean' ? (
                <Badge size="xs" variant="light" color={d.lintOk ? 'teal' : 'red'}>
                  lint {d.lintOk ? 'ok' : 'failed'}
                </Badge>
              ) : null}
              {typeof d.failingReplay === 'string' || typeof d.failingReplay === 'boolean' ? (
                <Badge
                  size="xs"
                  variant="light"
                  color={d.failingReplay === true || d.failingReplay === 'passed' ? 'teal' : 'red'}
                >
                  failing run replay: {String(d.failingReplay)}
                </Badge>
              ) : null}
              {num(d.regressionsChecked) !== undefined ? (
                <Badge size="xs" variant="light" color={(num(d.regressionsBroken) ?? 0) > 0 ? 'red' : 'teal'}>
                  {num(d.regressionsBroken) ?? 0}/{num(d.regressionsChecked)} past runs broken
                </Badge>
              ) : null}
            </Group>
          </Stack>
        ),
      };
    }
    case 'repair.deployed':
      return {
        title,
        color: 'teal',
        icon: <IconRocket size={14} />,
        body: d.approvedBy ? <Detail>Approved by {who(d.approvedBy)}</Detail> : undefined,
      };
    case 'run.action_needed':
      return {
        title,
        color: 'orange',
        icon: <IconHandStop size={14} />,
        body: (
          <Stack gap={4}>
            <ClassificationLine classification={d.classification} />
            {str(d.reason) && str(d.reason) !== str(obj(d.classification)?.reason) ? (
              <Detail>{str(d.reason)}</Detail>
            ) : null}
            <ErrorLine error={d.error} />
            <Anchor component={Link} href="/inbox" size="xs">
              <IconInbox size={12} /> Open the inbox
            </Anchor>
          </Stack>
        ),
      };
    case 'run.waiting':
      return {
        title,
        color: 'cyan',
        icon: <IconClockPause size={14} />,
        body:
          d.kind === 'approval' ? (
            <Stack gap={4}>
              <Detail>
                Expires {formatAbsolute(str(d.until) ?? '')}
                {obj(d.caps) ? ` · asks for ${capsText(obj(d.caps)!)}` : ''}
              </Detail>
              {str(d.inboxItemId) ? (
                <Anchor component={Link} href={inboxItemHref(str(d.inboxItemId)!)} size="xs">
                  <IconInbox size={12} /> Approve or reject it in the inbox
                </Anchor>
              ) : null}
            </Stack>
          ) : undefined,
      };
    case 'run.resumed':
      return { title, color: 'blue', icon: <IconPlayerPlay size={14} /> };
    case 'inbox.resolved':
      return {
        title,
        color: 'indigo',
        icon: <IconInbox size={14} />,
        body: (
          <Detail>
            By {who(d.by)}
            {str(d.kind) ? ` · ${humanize(str(d.kind)!)}` : ''}
            {str(d.comment) ? ` · “${str(d.comment)}”` : ''}
          </Detail>
        ),
      };
    case 'run.cancelled':
      return {
        title,
        color: 'dark',
        icon: <IconBan size={14} />,
        body: clipped(d.reason),
      };
    case 'run.failed':
      return {
        title,
        color: 'red',
        icon: <IconX size={14} />,
        body: clipped(d.reason),
      };
    case 'attempt.abandoned':
      return {
        title,
        color: 'yellow',
        icon: <IconAlertTriangle size={14} />,
        body: clipped(d.reason),
      };
  }
}

export function RunTimeline({ events, settled }: { events: RunEvent[]; settled: boolean }) {
  return (
    <Timeline
      active={events.length - 1}
      bulletSize={26}
      lineWidth={2}
      data-testid="timeline"
      data-settled={settled}
      aria-label="Run timeline"
    >
      {events.map((event) => {
        const described = describeEvent(event);
        return (
          <Timeline.Item
            key={event.seq}
            color={described.color}
            bullet={
              <ThemeIcon size={26} radius="xl" color={described.color} variant="filled">
                {described.icon}
              </ThemeIcon>
            }
            title={
              <Group justify="space-between" gap="xs" wrap="nowrap" align="flex-start">
                <Text fw={600} size="sm" data-testid="timeline-title">
                  {described.title}
                </Text>
                <Text
                  size="xs"
                  c="dimmed"
                  ff="monospace"
                  component="time"
                  dateTime={event.createdAt}
                  title={formatAbsolute(event.createdAt)}
                  style={{ whiteSpace: 'nowrap' }}
                >
                  #{event.seq} · {formatClock(event.createdAt)}
                </Text>
              </Group>
            }
            data-testid="timeline-event"
            data-type={event.type}
            data-seq={event.seq}
          >
            {described.body ? <div style={{ marginTop: 4 }}>{described.body}</div> : null}
          </Timeline.Item>
        );
      })}
    </Timeline>
  );
}
