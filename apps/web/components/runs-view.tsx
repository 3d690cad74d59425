'use client';

import { Anchor, Button, Card, Group, Select, SimpleGrid, Stack, Table, Text, Tooltip } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { IconFilterOff, IconListDetails } from '@tabler/icons-react';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { FAILURE_CLASSES, RUN_STATUSES, RUN_TRIGGERS } from '@mendflow/contracts';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import type { RunsListQuery, RunSummary } from '@/lib/api';
import { formatAbsolute, formatDuration, humanize, shortId } from '@/lib/format';
import { FAILURE_CLASS_META, RUN_STATUS_META } from '@/lib/status';
import { queries, usePagedRows } from '@/lib/queries';
import {
  EmptyState,
  ErrorState,
  LoadingState,
  LoadMoreFooter,
  PageHeader,
  RunStatusBadge,
  TimeAgo,
} from './ui';
import { WaitingForLine } from './waiting-for';

const RANGES: { value: string; label: string; ms: number }[] = [
  { value: '1h', label: 'Last hour', ms: 3600_000 },
  { value: '24h', label: 'Last 24 hours', ms: 24 * 3600_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 24 * 3600_000 },
  { value: '30d', label: 'Last 30 days', ms: 30 * 24 * 3600_000 },
];

const PAGE_SIZE = 25;

const TRIGGER_LABEL: Record<(typeof RUN_TRIGGERS)[number], string> = {
  manual: 'Manual (dashboard)',
  api: 'API',
  cron: 'Schedule',
  webhook: 'Webhook',
  event: 'Event',
  retry: 'Retry',
  exploration: 'Exploration (MCP execute)',
};

export function RunsView() {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const phone = useMediaQuery('(max-width: 48em)');

  const filters = {
    status: params.get('status') ?? '',
    automationId: params.get('automationId') ?? '',
    failureClass: params.get('failureClass') ?? '',
    trigger: params.get('trigger') ?? '',
    range: params.get('range') ?? '',
  };
  const filtered = Object.values(filters).some(Boolean);

  function setFilter(name: keyof typeof filters, value: string | null) {
    const next = new URLSearchParams(params.toString());
    if (value) next.set(name, value);
    else next.delete(name);
    const search = next.toString();
    router.replace(`${pathname}${search ? `?${search}` : ''}`, { scroll: false });
  }

  // The lower bound moves with time; rounding to the minute keeps the query stable between renders.
  const rangeMs = RANGES.find((r) => r.value === filters.range)?.ms;
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  const createdFrom = rangeMs ? new Date(minute - rangeMs).toISOString() : undefined;
  // The filters come from the URL, so any string; the API answers 400 VALIDATION_FAILED for a value outside
  // the documented enums, which the list shows as its error.
  const query: RunsListQuery = {
    status: (filters.status || undefined) as RunsListQuery['status'],
    automationId: filters.automationId || undefined,
    failureClass: (filters.failureClass || undefined) as RunsListQuery['failureClass'],
    trigger: (filters.trigger || undefined) as RunsListQuery['trigger'],
    createdFrom,
    limit: PAGE_SIZE,
  };
  const list = useInfiniteQuery(queries.runsPages(query));
  const { rows, more } = usePagedRows(list);
  const automations = useQuery(queries.automations());

  const automationOptions = (automations.data?.items ?? []).map((a) => ({ value: a.id, label: a.name }));

  return (
    <>
      <PageHeader
        title="Runs"
        description="Every run of every automation, newest first. Filters are kept in the address, so a view can be shared."
      />
      <Card mb="lg" padding="md">
        <SimpleGrid cols={{ base: 1, xs: 2, md: 5 }} spacing="sm">
          <Select
            label="Status"
            placeholder="Any status"
            clearable
            value={filters.status || null}
            onChange={(v) => setFilter('status', v)}
            data={RUN_STATUSES.map((s) => ({ value: s, label: RUN_STATUS_META[s].label }))}
            data-testid="filter-status"
          />
          <Select
            label="Automation"
            placeholder="Any automation"
            clearable
            searchable
            nothingFoundMessage="No automation by that name"
            value={filters.automationId || null}
            onChange={(v) => setFilter('automationId', v)}
            data={automationOptions}
            data-testid="filter-automation"
          />
          <Select
            label="Failure class"
            placeholder="Any class"
            clearable
            value={filters.failureClass || null}
            onChange={(v) => setFilter('failureClass', v)}
            data={FAILURE_CLASSES.map((c) => ({ value: c, label: FAILURE_CLASS_META[c].label }))}
            data-testid="filter-class"
          />
          <Select
            label="Trigger"
            placeholder="Any trigger"
            clearable
            value={filters.trigger || null}
            onChange={(v) => setFilter('trigger', v)}
            data={RUN_TRIGGERS.map((t) => ({ value: t, label: TRIGGER_LABEL[t] }))}
            data-testid="filter-trigger"
          />
          <Select
            label="Time range"
            placeholder="Any time"
            clearable
            value={filters.range || null}
            onChange={(v) => setFilter('range', v)}
            data={RANGES.map(({ value, label }) => ({ value, label }))}
            data-testid="filter-range"
          />
        </SimpleGrid>
        {filtered ? (
          <Group justify="flex-end" mt="sm">
            <Button
              size="xs"
              variant="subtle"
              leftSection={<IconFilterOff size={14} />}
              onClick={() => router.replace(pathname, { scroll: false })}
            >
              Clear filters
            </Button>
          </Group>
        ) : null}
      </Card>

      {list.error && !list.data ? (
        <ErrorState error={list.error} title="Could not load runs" onRetry={() => void list.refetch()} />
      ) : list.isPending ? (
        <LoadingState label="Loading runs…" rows={6} />
      ) : rows.length === 0 ? (
        <EmptyState
          icon={<IconListDetails size={22} />}
          title={filtered ? 'No runs match these filters' : 'No runs yet'}
        >
          {filtered ? (
            'Try a wider time range or clear a filter.'
          ) : (
            <>
              Start one from{' '}
              <Anchor component={Link} href="/automations">
                Automations
              </Anchor>{' '}
              with “Run now”.
            </>
          )}
        </EmptyState>
      ) : (
        <Stack gap="md">
          {phone ? (
            <Stack gap="sm">
              {rows.map((run) => (
                <RunCard key={run.id} run={run} />
              ))}
            </Stack>
          ) : (
            <Card p={0}>
              <Table.ScrollContainer minWidth={900}>
                <Table aria-label="Runs" data-testid="runs-table">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Status</Table.Th>
                      <Table.Th>Run</Table.Th>
                      <Table.Th>Automation</Table.Th>
                      <Table.Th>Trigger</Table.Th>
                      <Table.Th ta="right">Attempts</Table.Th>
                      <Table.Th>Created</Table.Th>
                      <Table.Th>Duration</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {rows.map((run) => (
                      <Table.Tr key={run.id} data-testid="run-row" data-run-id={run.id}>
                        <Table.Td>
                          <RunStatusBadge status={run.status} size="sm" testId="run-row-status" />
                          <WaitingForLine waitingFor={run.waitingFor} compact />
                        </Table.Td>
                        <Table.Td>
                          <Anchor component={Link} href={`/runs/${run.id}`} ff="monospace" size="sm" fw={500}>
                            {shortId(run.id)}
                          </Anchor>
                        </Table.Td>
                        <Table.Td maw={360}>
                          <Group gap={6} wrap="nowrap">
                            <Anchor
                              component={Link}
                              href={`/automations/${run.automationId}`}
                              size="sm"
                              c="var(--mantine-color-text)"
                              truncate
                            >
                              {run.automationName}
                            </Anchor>
                            <Text size="xs" c="dimmed">
                              v{run.versionNumber}
                            </Text>
                          </Group>
                          {run.error ? (
                            <Tooltip label={`${run.error.name}: ${run.error.message}`} multiline maw={420}>
                              <Text size="xs" c="red" truncate>
                                {run.error.name}: {run.error.message}
                              </Text>
                            </Tooltip>
                          ) : null}
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm">{humanize(run.trigger)}</Text>
                        </Table.Td>
                        <Table.Td ta="right">{run.attemptCount}</Table.Td>
                        <Table.Td>
                          <TimeAgo iso={run.createdAt} />
                        </Table.Td>
                        <Table.Td>
                          <Duration run={run} />
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            </Card>
          )}
          <LoadMoreFooter shown={rows.length} noun={['run', 'runs']} {...more} />
        </Stack>
      )}
    </>
  );
}

function Duration({ run }: { run: RunSummary }) {
  if (!run.finishedAt)
    return (
      <Text size="sm" c="dimmed">
        —
      </Text>
    );
  return (
    <Tooltip label={`Finished ${formatAbsolute(run.finishedAt)}`}>
      <Text size="sm" component="span">
        {formatDuration(run.startedAt ?? run.createdAt, run.finishedAt)}
      </Text>
    </Tooltip>
  );
}

function RunCard({ run }: { run: RunSummary }) {
  return (
    <Card padding="md" data-testid="run-row" data-run-id={run.id}>
      <Stack gap={6}>
        <Group justify="space-between" wrap="nowrap">
          <RunStatusBadge status={run.status} size="sm" testId="run-row-status" />
          <TimeAgo iso={run.createdAt} size="xs" c="dimmed" />
        </Group>
        <Group gap={6} wrap="nowrap">
          <Anchor component={Link} href={`/runs/${run.id}`} ff="monospace" size="sm" fw={500}>
            {shortId(run.id)}
          </Anchor>
          <Text size="sm" truncate>
            {run.automationName}
          </Text>
          <Text size="xs" c="dimmed">
            v{run.versionNumber}
          </Text>
        </Group>
        <WaitingForLine waitingFor={run.waitingFor} compact />
        {run.error ? (
          <Text size="xs" c="red" lineClamp={2}>
            {run.error.name}: {run.error.message}
          </Text>
        ) : null}
        <Group gap="md">
          <Text size="xs" c="dimmed">
            {humanize(run.trigger)} · {run.attemptCount} {run.attemptCount === 1 ? 'attempt' : 'attempts'}
          </Text>
          <Duration run={run} />
        </Group>
      </Stack>
    </Card>
  );
}
