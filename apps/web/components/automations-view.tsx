'use client';

import { Anchor, Badge, Card, Group, Progress, Stack, Table, Text, Tooltip } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { IconBolt } from '@tabler/icons-react';
import Link from 'next/link';
import { useQuery } from '@tanstack/react-query';
import type { Automation } from '@/lib/api';
import { queries } from '@/lib/queries';
import { formatPercent } from '@/lib/format';
import { useSignedIn } from '@/lib/session';
import { NewAutomationButton, PauseResumeButton, RunNowButton } from './automation-actions';
import { ImportBundleButton } from './bundle-actions';
import { AuthorBadge, EmptyState, ErrorState, LoadingState, PageHeader, RunStatusBadge, TimeAgo } from './ui';

export function AutomationsView() {
  const { user } = useSignedIn();
  const list = useQuery(queries.automations());
  const phone = useMediaQuery('(max-width: 48em)');

  return (
    <>
      <PageHeader
        title="Automations"
        description="Scripts Mendflow runs on demand, on a schedule or from a webhook. Each change is a new immutable version."
        actions={
          <>
            <ImportBundleButton />
            <NewAutomationButton />
          </>
        }
      />
      {list.error && !list.data ? (
        <ErrorState
          error={list.error}
          title="Could not load automations"
          onRetry={() => void list.refetch()}
        />
      ) : list.isPending ? (
        <LoadingState label="Loading automations…" rows={5} />
      ) : !list.data || list.data.items.length === 0 ? (
        <EmptyState icon={<IconBolt size={22} />} title="No automations yet" action={<NewAutomationButton />}>
          Create one here, or with <code>POST /api/v1/automations</code> from a script or an agent.
        </EmptyState>
      ) : phone ? (
        <Stack gap="sm">
          {list.data.items.map((a) => (
            <AutomationCard key={a.id} automation={a} userId={user.id} />
          ))}
        </Stack>
      ) : (
        <Card p={0}>
          <Table.ScrollContainer minWidth={960}>
            <Table aria-label="Automations" data-testid="automations-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Deployed version</Table.Th>
                  <Table.Th>Last run</Table.Th>
                  <Table.Th>Success rate</Table.Th>
                  <Table.Th ta="right">Runs (7 d)</Table.Th>
                  <Table.Th ta="right">Inbox</Table.Th>
                  <Table.Th>
                    <span className="visually-hidden">Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.data.items.map((a) => (
                  <Table.Tr key={a.id} data-testid="automation-row" data-automation-id={a.id}>
                    <Table.Td maw={280}>
                      <Group gap={6} wrap="nowrap">
                        <Anchor component={Link} href={`/automations/${a.id}`} fw={600} truncate>
                          {a.name}
                        </Anchor>
                        {a.status === 'paused' ? (
                          <Badge size="xs" color="gray" variant="outline">
                            Paused
                          </Badge>
                        ) : null}
                      </Group>
                      {a.description ? (
                        <Text size="xs" c="dimmed" truncate>
                          {a.description}
                        </Text>
                      ) : null}
                    </Table.Td>
                    <Table.Td>
                      <DeployedVersion automation={a} userId={user.id} />
                    </Table.Td>
                    <Table.Td>
                      <LastRun automation={a} />
                    </Table.Td>
                    <Table.Td miw={150}>
                      <SuccessRate rate={a.stats?.successRate ?? null} />
                    </Table.Td>
                    <Table.Td ta="right">{a.stats?.runsLast7Days ?? 0}</Table.Td>
                    <Table.Td ta="right">
                      <InboxCount count={a.stats?.openInboxItems ?? 0} />
                    </Table.Td>
                    <Table.Td>
                      <Group gap="xs" justify="flex-end" wrap="nowrap">
                        <PauseResumeButton automation={a} size="xs" />
                        <RunNowButton automation={a} size="xs" />
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Card>
      )}
    </>
  );
}

function DeployedVersion({ automation, userId }: { automation: Automation; userId: string }) {
  const v = automation.deployedVersion;
  if (!v)
    return (
      <Text size="sm" c="dimmed">
        None
      </Text>
    );
  return (
    <Group gap={6} wrap="nowrap">
      <Tooltip label={`Version ${v.number} of ${automation.latestVersion}`}>
        <Badge variant="default" radius="sm" styles={{ label: { textTransform: 'none' } }}>
          v{v.number}
        </Badge>
      </Tooltip>
      <AuthorBadge author={v.createdBy} currentUserId={userId} />
    </Group>
  );
}

function LastRun({ automation }: { automation: Automation }) {
  const last = automation.stats?.lastRun;
  if (!last)
    return (
      <Text size="sm" c="dimmed">
        Never run
      </Text>
    );
  return (
    <Group gap={8} wrap="nowrap">
      <Anchor
        component={Link}
        href={`/runs/${last.id}`}
        aria-label={`Last run: ${last.status}`}
        underline="never"
      >
        <RunStatusBadge status={last.status} size="sm" testId="last-run-status" />
      </Anchor>
      <TimeAgo iso={last.createdAt} size="xs" c="dimmed" />
    </Group>
  );
}

function SuccessRate({ rate }: { rate: number | null }) {
  if (rate === null)
    return (
      <Text size="sm" c="dimmed">
        —
      </Text>
    );
  const color = rate >= 0.95 ? 'teal' : rate >= 0.8 ? 'yellow' : 'red';
  return (
    <Group gap={8} wrap="nowrap">
      <Progress
        value={rate * 100}
        color={color}
        w={70}
        size="sm"
        aria-label={`Success rate ${formatPercent(rate)}`}
      />
      <Text size="sm" fw={500}>
        {formatPercent(rate)}
      </Text>
    </Group>
  );
}

function InboxCount({ count, long = false }: { count: number; long?: boolean }) {
  if (count === 0)
    return (
      <Text size="sm" c="dimmed">
        {long ? 'Inbox clear' : '0'}
      </Text>
    );
  return (
    <Anchor component={Link} href="/inbox" underline="never" aria-label={`${count} open inbox items`}>
      <Badge color="orange" variant="light">
        {long ? `${count} open in inbox` : count}
      </Badge>
    </Anchor>
  );
}

function AutomationCard({ automation: a, userId }: { automation: Automation; userId: string }) {
  return (
    <Card padding="md" data-testid="automation-row" data-automation-id={a.id}>
      <Stack gap="sm">
        <Group justify="space-between" wrap="nowrap">
          <Anchor component={Link} href={`/automations/${a.id}`} fw={600} truncate>
            {a.name}
          </Anchor>
          {a.status === 'paused' ? (
            <Badge size="xs" color="gray" variant="outline">
              Paused
            </Badge>
          ) : null}
        </Group>
        <Group gap="md" wrap="wrap">
          <DeployedVersion automation={a} userId={userId} />
          <LastRun automation={a} />
        </Group>
        <Group gap="lg" wrap="wrap">
          <SuccessRate rate={a.stats?.successRate ?? null} />
          <Text size="sm" c="dimmed">
            {a.stats?.runsLast7Days ?? 0} {(a.stats?.runsLast7Days ?? 0) === 1 ? 'run' : 'runs'} in 7 days
          </Text>
          <InboxCount count={a.stats?.openInboxItems ?? 0} long />
        </Group>
        <Group gap="xs">
          <RunNowButton automation={a} size="xs" />
          <PauseResumeButton automation={a} size="xs" />
        </Group>
      </Stack>
    </Card>
  );
}
