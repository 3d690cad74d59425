'use client';

import { Anchor, Badge, Card, Code, Group, Stack, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import type { Trigger } from '@/lib/api';
import { formatAbsolute, shortId } from '@/lib/format';
import { queries } from '@/lib/queries';
import { ErrorState, LoadingState, RunStatusBadge, SectionTitle, TimeAgo } from './ui';

/** How a schedule's last tick went, in words (the API's lastTickOutcome). */
const TICK_OUTCOMES: Record<string, { label: string; color: string }> = {
  run_created: { label: 'started a run', color: 'teal' },
  skipped_overlap: { label: 'skipped: previous run still going', color: 'yellow' },
  skipped_missed: { label: 'skipped: missed (too late)', color: 'orange' },
};

/** Whether a deployed manifest lists a schedule (a paused automation has none in force to show). */
export function declaresSchedules(manifest: Record<string, unknown> | null | undefined): boolean {
  const triggers = manifest?.triggers;
  return Array.isArray(triggers) && triggers.some((t) => (t as { type?: unknown }).type === 'cron');
}

/**
 * The automation's schedules: when they fire next, what their last tick did, their last runs. Not
 * shown for an automation without schedules.
 */
export function SchedulesCard({
  automationId,
  pausedWithSchedules,
}: {
  automationId: string;
  pausedWithSchedules: boolean;
}) {
  const triggers = useQuery(queries.triggers(automationId));
  const schedules = triggers.data?.items.filter((t) => t.kind === 'cron') ?? [];
  if (triggers.data && schedules.length === 0 && !pausedWithSchedules) return null;
  return (
    <Card>
      <SectionTitle>Schedules</SectionTitle>
      {triggers.error && !triggers.data ? (
        <ErrorState
          error={triggers.error}
          title="Could not load schedules"
          onRetry={() => void triggers.refetch()}
        />
      ) : triggers.isPending || !triggers.data ? (
        <LoadingState rows={2} />
      ) : schedules.length === 0 ? (
        <Text size="sm" c="dimmed">
          Paused: schedules do not fire until the automation is resumed.
        </Text>
      ) : (
        <Stack gap="md">
          {schedules.map((schedule) => (
            <Schedule key={schedule.id} schedule={schedule} />
          ))}
        </Stack>
      )}
    </Card>
  );
}

function Schedule({ schedule }: { schedule: Trigger }) {
  const config = schedule.config as { cron: string; timezone: string; catchUp: string; overlap: string };
  const outcome = schedule.lastTickOutcome ? TICK_OUTCOMES[schedule.lastTickOutcome] : undefined;
  return (
    <Stack gap={6} data-testid="schedule">
      <Group gap="xs">
        <Code>{config.cron}</Code>
        <Text size="xs" c="dimmed">
          {config.timezone} · catch-up {config.catchUp} · overlap {config.overlap}
        </Text>
      </Group>
      <Text size="sm">
        Next:{' '}
        {schedule.nextFireTimes.slice(0, 3).map((time, i) => (
          <Text span key={time} size="sm" ff="monospace">
            {i > 0 && ', '}
            {formatAbsolute(time)}
          </Text>
        ))}
      </Text>
      {schedule.lastTickAt && (
        <Group gap="xs">
          <Text size="sm">Last tick</Text>
          <TimeAgo iso={schedule.lastTickAt} size="sm" />
          {outcome && (
            <Badge size="sm" variant="light" color={outcome.color}>
              {outcome.label}
            </Badge>
          )}
        </Group>
      )}
      {schedule.lastRuns.length > 0 && (
        <Table verticalSpacing={4} aria-label="Last scheduled runs">
          <Table.Tbody>
            {schedule.lastRuns.map((run) => (
              <Table.Tr key={run.id}>
                <Table.Td>
                  <RunStatusBadge status={run.status} size="sm" />
                </Table.Td>
                <Table.Td>
                  <Anchor component={Link} href={`/runs/${run.id}`} ff="monospace" size="sm">
                    {shortId(run.id)}
                  </Anchor>
                </Table.Td>
                <Table.Td ta="right">
                  <Text size="xs" c="dimmed" ff="monospace">
                    {formatAbsolute(run.scheduledAt)}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
