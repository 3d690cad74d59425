'use client';

import { BarChart } from '@mantine/charts';
import {
  Anchor,
  Badge,
  Card,
  Group,
  SegmentedControl,
  SimpleGrid,
  Skeleton,
  Stack,
  Table,
  Text,
  ThemeIcon,
} from '@mantine/core';
import {
  IconAlertTriangle,
  IconChartBar,
  IconCircleCheck,
  IconInbox,
  IconPlayerPlay,
} from '@tabler/icons-react';
import Link from 'next/link';
import { useMediaQuery } from '@mantine/hooks';
import { useMemo, useState, type ReactNode } from 'react';
import { formatPercent } from '@/lib/format';
import { useSignedIn } from '@/lib/session';
import { queries } from '@/lib/queries';
import { useQuery } from '@tanstack/react-query';
import { EmptyState, ErrorState, PageHeader, SectionTitle } from './ui';

const RANGES = [
  { value: '24', label: '24 hours' },
  { value: '72', label: '3 days' },
  { value: '168', label: '7 days' },
];

const hourLabel = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false });
const dayHourLabel = new Intl.DateTimeFormat('en-GB', { weekday: 'short', hour: '2-digit', hour12: false });

export function OverviewView() {
  const { workspace } = useSignedIn();
  const [hours, setHours] = useState('24');
  // On narrow screens the legend wraps onto two lines.
  const narrow = useMediaQuery('(max-width: 40em)');
  const overview = useQuery(queries.overview(Number(hours)));

  const chart = useMemo(() => {
    const rows = overview.data?.runsPerHour ?? [];
    const long = Number(hours) > 24;
    return rows.map((row) => ({
      ...row,
      label: (long ? dayHourLabel : hourLabel).format(new Date(row.hour)),
    }));
  }, [overview.data, hours]);

  const totals = useMemo(() => {
    const t = { succeeded: 0, failed: 0, actionNeeded: 0, other: 0 };
    for (const row of overview.data?.runsPerHour ?? []) {
      t.succeeded += row.succeeded;
      t.failed += row.failed;
      t.actionNeeded += row.actionNeeded;
      t.other += row.other;
    }
    const finished = t.succeeded + t.failed + t.actionNeeded;
    return { ...t, total: finished + t.other, successRate: finished > 0 ? t.succeeded / finished : null };
  }, [overview.data]);

  const attention = overview.data?.needingAttention ?? [];
  const openItems = attention.reduce((sum, a) => sum + a.openInboxItems, 0);
  const rangeLabel = RANGES.find((r) => r.value === hours)?.label ?? `${hours} hours`;

  return (
    <>
      <PageHeader
        title="Overview"
        description={`How ${workspace.name}'s automations did over the last ${rangeLabel}.`}
        actions={
          <SegmentedControl
            aria-label="Time range"
            value={hours}
            onChange={setHours}
            data={RANGES}
            size="sm"
          />
        }
      />

      {overview.error ? (
        <ErrorState
          error={overview.error}
          title="Could not load the overview"
          onRetry={() => void overview.refetch()}
        />
      ) : (
        <Stack gap="lg">
          <SimpleGrid cols={{ base: 2, md: 4 }} spacing="md">
            <Stat
              loading={overview.isPending}
              label="Runs"
              value={String(totals.total)}
              icon={<IconPlayerPlay size={18} />}
              color="mend"
            />
            <Stat
              loading={overview.isPending}
              label="Success rate"
              value={formatPercent(totals.successRate)}
              icon={<IconCircleCheck size={18} />}
              color="teal"
            />
            <Stat
              loading={overview.isPending}
              label="Failed"
              value={String(totals.failed)}
              icon={<IconAlertTriangle size={18} />}
              color="red"
            />
            <Stat
              loading={overview.isPending}
              label="Open inbox items"
              value={String(openItems)}
              icon={<IconInbox size={18} />}
              color="orange"
              href="/inbox"
            />
          </SimpleGrid>

          <Card>
            <SectionTitle
              right={
                <Anchor component={Link} href="/runs" size="sm">
                  All runs
                </Anchor>
              }
            >
              Runs per hour by outcome
            </SectionTitle>
            {overview.isPending ? (
              <Skeleton h={280} />
            ) : totals.total === 0 ? (
              <EmptyState icon={<IconChartBar size={22} />} title={`No runs in the last ${rangeLabel}`}>
                Start one from{' '}
                <Anchor component={Link} href="/automations">
                  Automations
                </Anchor>{' '}
                with “Run now”, or through the API.
              </EmptyState>
            ) : (
              <BarChart
                h={280}
                data={chart}
                dataKey="label"
                type="stacked"
                withLegend
                legendProps={{ verticalAlign: 'bottom', height: narrow ? 64 : 40 }}
                tickLine="none"
                gridAxis="y"
                maxBarWidth={28}
                aria-label="Runs per hour, stacked by outcome"
                series={[
                  { name: 'succeeded', label: 'Succeeded', color: 'teal.6' },
                  { name: 'actionNeeded', label: 'Action needed', color: 'orange.5' },
                  { name: 'failed', label: 'Failed', color: 'red.6' },
                  { name: 'other', label: 'In progress / other', color: 'gray.5' },
                ]}
                xAxisProps={{ interval: 'preserveStartEnd', minTickGap: 16 }}
                yAxisProps={{ allowDecimals: false, width: 32 }}
              />
            )}
          </Card>

          <Card>
            <SectionTitle
              right={
                <Anchor component={Link} href="/inbox" size="sm">
                  Open inbox
                </Anchor>
              }
            >
              Automations that need attention
            </SectionTitle>
            {overview.isPending ? (
              <Skeleton h={160} />
            ) : attention.length === 0 ? (
              <EmptyState icon={<IconCircleCheck size={22} />} title="All clear">
                No automation has open inbox items or failures in the last 24 hours.
              </EmptyState>
            ) : (
              <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="lg">
                <BarChart
                  h={Math.max(140, attention.length * 44 + 40)}
                  data={attention}
                  dataKey="name"
                  orientation="vertical"
                  type="stacked"
                  withLegend
                  legendProps={{ verticalAlign: 'bottom', height: narrow ? 56 : 36 }}
                  gridAxis="x"
                  tickLine="none"
                  maxBarWidth={22}
                  aria-label="Open inbox items and failures per automation"
                  yAxisProps={{ width: narrow ? 96 : 140 }}
                  xAxisProps={{ allowDecimals: false }}
                  series={[
                    { name: 'openInboxItems', label: 'Open inbox items', color: 'orange.5' },
                    { name: 'failedLast24h', label: 'Failures (24 h)', color: 'red.6' },
                  ]}
                />
                <Table.ScrollContainer minWidth={320}>
                  <Table aria-label="Automations that need attention">
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>Automation</Table.Th>
                        <Table.Th ta="right">Open items</Table.Th>
                        <Table.Th ta="right">Failures (24 h)</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {attention.map((a) => (
                        <Table.Tr key={a.automationId} data-testid="attention-row">
                          <Table.Td>
                            <Anchor component={Link} href={`/automations/${a.automationId}`} fw={500}>
                              {a.name}
                            </Anchor>
                          </Table.Td>
                          <Table.Td ta="right">
                            {a.openInboxItems > 0 ? (
                              <Badge color="orange" variant="light">
                                {a.openInboxItems}
                              </Badge>
                            ) : (
                              <Text c="dimmed" size="sm">
                                0
                              </Text>
                            )}
                          </Table.Td>
                          <Table.Td ta="right">
                            {a.failedLast24h > 0 ? (
                              <Anchor
                                component={Link}
                                href={`/runs?automationId=${a.automationId}&status=failed`}
                                size="sm"
                                c="red"
                              >
                                {a.failedLast24h}
                              </Anchor>
                            ) : (
                              <Text c="dimmed" size="sm">
                                0
                              </Text>
                            )}
                          </Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
              </SimpleGrid>
            )}
          </Card>
        </Stack>
      )}
    </>
  );
}

function Stat({
  label,
  value,
  icon,
  color,
  loading,
  href,
}: {
  label: string;
  value: string;
  icon: ReactNode;
  color: string;
  loading: boolean;
  href?: string;
}) {
  const body = (
    <Group justify="space-between" align="flex-start" wrap="nowrap">
      <Stack gap={2}>
        <Text size="xs" c="dimmed" tt="uppercase" fw={600} style={{ letterSpacing: '0.04em' }}>
          {label}
        </Text>
        {loading ? (
          <Skeleton h={30} w={64} mt={4} />
        ) : (
          <Text fz={28} fw={700} lh={1.2}>
            {value}
          </Text>
        )}
      </Stack>
      <ThemeIcon variant="light" color={color} size={36} radius="md">
        {icon}
      </ThemeIcon>
    </Group>
  );
  return href ? (
    <Card component={Link} href={href} padding="md" aria-label={`${label}: ${value}`}>
      {body}
    </Card>
  ) : (
    <Card padding="md">{body}</Card>
  );
}
