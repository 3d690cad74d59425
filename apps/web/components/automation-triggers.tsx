'use client';

import { Anchor, Badge, Button, Card, Code, Group, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconBolt, IconClock, IconRefresh, IconWebhook } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import type { AutomationTrigger, WebhookInfo, WebhookToken } from '@/lib/api';
import { formatAbsolute, shortId } from '@/lib/format';
import { queries, useRotateWebhookToken } from '@/lib/queries';
import { useCan } from '@/lib/session';
import { CopyableSecret } from './copyable-secret';
import { ConfirmModal, ErrorState, LoadingState, RunStatusBadge, SectionTitle, TimeAgo } from './ui';

/**
 * What starts an automation besides "Run now": its schedules (next fire times, last scheduled runs),
 * its webhook URL (shown in full once, when created or rotated) and the events it listens to.
 */
/** How a schedule's last tick went, in words (the API's lastTickOutcome). */
const TICK_OUTCOMES: Record<
  NonNullable<AutomationTrigger['lastTickOutcome']>,
  { label: string; color: string }
> = {
  run_created: { label: 'started a run', color: 'teal' },
  skipped_overlap: { label: 'skipped: the previous run was still going', color: 'yellow' },
  skipped_missed: { label: 'skipped: missed (too late)', color: 'orange' },
};

export function AutomationTriggers({
  automationId,
  paused,
  declared,
}: {
  automationId: string;
  /** A paused automation has no triggers in force: they start nothing until it is resumed. */
  paused: boolean;
  /** Whether the deployed manifest lists triggers. */
  declared: boolean;
}) {
  const triggers = useQuery(queries.triggers(automationId));
  const items = triggers.data?.items ?? [];
  const hasWebhook = items.some((t) => t.kind === 'webhook');
  return (
    <Card data-testid="automation-triggers">
      <SectionTitle>Triggers</SectionTitle>
      {triggers.error && !triggers.data ? (
        <ErrorState
          error={triggers.error}
          title="Could not load triggers"
          onRetry={() => void triggers.refetch()}
        />
      ) : triggers.isPending ? (
        <LoadingState rows={2} />
      ) : items.length === 0 && paused && declared ? (
        <Text size="sm" c="dimmed" data-testid="triggers-paused">
          Paused: its schedules, webhook and events start nothing until it is resumed.
        </Text>
      ) : items.length === 0 ? (
        <Text size="sm" c="dimmed">
          Runs start only from “Run now” and the API. Add <Code>triggers</Code> to the manifest for a
          schedule, a webhook or an event.
        </Text>
      ) : (
        <Stack gap="md">
          {items
            .filter((t) => t.kind === 'cron')
            .map((t) => (
              <ScheduleTrigger key={t.id} trigger={t} />
            ))}
          {hasWebhook ? <WebhookTrigger automationId={automationId} /> : null}
          {items
            .filter((t) => t.kind === 'event')
            .map((t) => (
              <Group key={t.id} gap={6} data-testid="event-trigger">
                <IconBolt size={16} aria-hidden />
                <Text size="sm">On event</Text>
                <Code>{t.eventName}</Code>
              </Group>
            ))}
        </Stack>
      )}
    </Card>
  );
}

function ScheduleTrigger({ trigger }: { trigger: AutomationTrigger }) {
  const config = trigger.config as { cron?: string; timezone?: string; catchUp?: string; overlap?: string };
  return (
    <Stack gap={4} data-testid="schedule-trigger">
      <Group gap={6}>
        <IconClock size={16} aria-hidden />
        <Code>{config.cron}</Code>
        <Text size="xs" c="dimmed">
          {config.timezone} · missed ticks: {config.catchUp} · overlap: {config.overlap}
        </Text>
      </Group>
      <Text size="xs" c="dimmed">
        Next
      </Text>
      {trigger.nextFireTimes.length === 0 ? (
        <Text size="sm" c="dimmed">
          No upcoming tick.
        </Text>
      ) : (
        <Stack gap={0} data-testid="next-fire-times">
          {trigger.nextFireTimes.slice(0, 3).map((iso) => (
            <Text key={iso} size="sm">
              {formatAbsolute(iso)} <TimeAgo iso={iso} size="xs" c="dimmed" future />
            </Text>
          ))}
        </Stack>
      )}
      {trigger.lastTickAt ? (
        <Group gap="xs">
          <Text size="xs" c="dimmed">
            Last tick <TimeAgo iso={trigger.lastTickAt} size="xs" c="dimmed" />
          </Text>
          {trigger.lastTickOutcome ? (
            <Badge size="xs" variant="light" color={TICK_OUTCOMES[trigger.lastTickOutcome].color}>
              {TICK_OUTCOMES[trigger.lastTickOutcome].label}
            </Badge>
          ) : null}
        </Group>
      ) : null}
      {trigger.lastRuns.length > 0 ? (
        <>
          <Text size="xs" c="dimmed">
            Last scheduled runs
          </Text>
          <Stack gap={2}>
            {trigger.lastRuns.map((run) => (
              <Group key={run.id} gap={6}>
                <RunStatusBadge status={run.status} size="xs" testId="scheduled-run-status" />
                <Anchor component={Link} href={`/runs/${run.id}`} ff="monospace" size="xs">
                  {shortId(run.id)}
                </Anchor>
                <Text size="xs" c="dimmed">
                  {run.scheduledAt ? formatAbsolute(run.scheduledAt) : null}
                </Text>
              </Group>
            ))}
          </Stack>
        </>
      ) : null}
    </Stack>
  );
}

function WebhookTrigger({ automationId }: { automationId: string }) {
  const canWrite = useCan('automations:write');
  const webhook = useQuery(queries.webhook(automationId));
  const rotate = useRotateWebhookToken();
  const [confirming, setConfirming] = useState(false);
  const [created, setCreated] = useState<WebhookToken | null>(null);

  async function doRotate() {
    try {
      setCreated(await rotate.mutateAsync(automationId));
      setConfirming(false);
    } catch (err) {
      notifications.show({ color: 'red', title: 'Could not create the URL', message: String(err) });
    }
  }

  const info: WebhookInfo | undefined = webhook.data;
  return (
    <Stack gap={4} data-testid="webhook-trigger">
      <Group gap={6}>
        <IconWebhook size={16} aria-hidden />
        <Text size="sm">Webhook</Text>
        {info?.signature ? (
          <Badge size="xs" variant="light">
            {info.signature.scheme} signature · {info.signature.secret}
          </Badge>
        ) : null}
      </Group>
      {webhook.error && !info ? (
        <ErrorState error={webhook.error} title="Could not load the webhook" />
      ) : !info ? (
        <LoadingState rows={1} />
      ) : created ? (
        <Stack gap={4}>
          <Text size="xs" c="dimmed">
            The URL holds its token: copy it now, it is not shown again.
          </Text>
          <CopyableSecret value={absolute(created.path)} what="webhook URL" testId="webhook-url" />
        </Stack>
      ) : info.hasToken ? (
        <Text size="sm">
          <Code>{info.urlTemplate.replace('<token>', `${info.tokenPrefix ?? ''}…`)}</Code>{' '}
          <Text span size="xs" c="dimmed">
            created <TimeAgo iso={info.createdAt} size="xs" />
          </Text>
        </Text>
      ) : (
        <Text size="sm" c="dimmed">
          No URL yet: create one to receive requests.
        </Text>
      )}
      {canWrite && info ? (
        <Group>
          <Button
            size="xs"
            variant="default"
            leftSection={<IconRefresh size={14} />}
            onClick={() => (info.hasToken ? setConfirming(true) : void doRotate())}
            loading={rotate.isPending}
          >
            {info.hasToken ? 'Rotate URL' : 'Create URL'}
          </Button>
        </Group>
      ) : null}
      <ConfirmModal
        opened={confirming}
        title="Rotate the webhook URL?"
        confirmLabel="Rotate"
        busy={rotate.isPending}
        onClose={() => setConfirming(false)}
        onConfirm={() => void doRotate()}
      >
        The current URL stops working at once; senders need the new one.
      </ConfirmModal>
    </Stack>
  );
}

/** Senders need the whole URL: the path on the origin people reach the dashboard on (it forwards /api). */
function absolute(url: string): string {
  return url.startsWith('/') && typeof window !== 'undefined' ? `${window.location.origin}${url}` : url;
}
