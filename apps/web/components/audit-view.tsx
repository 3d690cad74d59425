'use client';

import {
  Anchor,
  Badge,
  Button,
  Card,
  Code,
  Group,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { IconFilterOff, IconHistory, IconLock } from '@tabler/icons-react';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { AuditEntry } from '@/lib/api';
import { AUDIT_ACTION_OPTIONS, AUDIT_TARGET_KINDS, auditActionLabel, auditSummary } from '@/lib/audit';
import { shortId } from '@/lib/format';
import { useCan } from '@/lib/session';
import { queries, usePagedRows } from '@/lib/queries';
import { EmptyState, ErrorState, LoadingState, LoadMoreFooter, PageHeader, TimeAgo } from './ui';

const RANGES: { value: string; label: string; ms: number }[] = [
  { value: '1h', label: 'Last hour', ms: 3600_000 },
  { value: '24h', label: 'Last 24 hours', ms: 24 * 3600_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 24 * 3600_000 },
  { value: '30d', label: 'Last 30 days', ms: 30 * 24 * 3600_000 },
];

const PAGE_SIZE = 50;

/** Who did what, when, to what: the workspace's audit log, newest first (admins and owners). */
export function AuditView() {
  const canRead = useCan('audit:read');
  if (!canRead) {
    return (
      <>
        <PageHeader title="Audit log" />
        <EmptyState icon={<IconLock size={22} />} title="Admins only">
          The audit log shows every change made in this workspace. Ask an admin or owner if you need it.
        </EmptyState>
      </>
    );
  }
  return <AuditLog />;
}

function AuditLog() {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const filters = {
    action: params.get('action') ?? '',
    actorId: params.get('actorId') ?? '',
    targetKind: params.get('targetKind') ?? '',
    targetId: params.get('targetId') ?? '',
    range: params.get('range') ?? '',
  };
  const filtered = Object.values(filters).some(Boolean);
  const [targetDraft, setTargetDraft] = useState(filters.targetId);

  function setFilter(name: keyof typeof filters, value: string | null) {
    const next = new URLSearchParams(params.toString());
    if (value) next.set(name, value);
    else next.delete(name);
    const search = next.toString();
    router.replace(`${pathname}${search ? `?${search}` : ''}`, { scroll: false });
  }

  const rangeMs = RANGES.find((r) => r.value === filters.range)?.ms;
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  const query = {
    action: filters.action || undefined,
    actorId: filters.actorId || undefined,
    targetKind: filters.targetKind || undefined,
    targetId: filters.targetId || undefined,
    createdFrom: rangeMs ? new Date(minute - rangeMs).toISOString() : undefined,
    limit: PAGE_SIZE,
  };
  const list = useInfiniteQuery(queries.audit(query));
  const { rows, more } = usePagedRows(list);
  const members = useQuery(queries.members());

  const memberOptions = (members.data?.items ?? []).map((m) => ({ value: m.userId, label: m.email }));

  return (
    <>
      <PageHeader
        title="Audit log"
        description="Who did what, when, to what: deploys, rollbacks, repairs, inbox resolutions, cancels, and changes to members, API keys and secrets (by name, never a value)."
      />
      <Card mb="lg" padding="md">
        <SimpleGrid cols={{ base: 1, xs: 2, md: 5 }} spacing="sm">
          <Select
            label="Action"
            placeholder="Any action"
            clearable
            searchable
            value={filters.action || null}
            onChange={(v) => setFilter('action', v)}
            data={AUDIT_ACTION_OPTIONS}
            data-testid="audit-filter-action"
          />
          <Select
            label="Who"
            placeholder="Anyone"
            clearable
            searchable
            value={filters.actorId || null}
            onChange={(v) => setFilter('actorId', v)}
            data={memberOptions}
            data-testid="audit-filter-actor"
          />
          <Select
            label="Target"
            placeholder="Anything"
            clearable
            value={filters.targetKind || null}
            onChange={(v) => setFilter('targetKind', v)}
            data={AUDIT_TARGET_KINDS}
          />
          <TextInput
            label="Target id or name"
            placeholder="e.g. CRM_TOKEN"
            value={targetDraft}
            onChange={(e) => setTargetDraft(e.currentTarget.value)}
            onBlur={() => setFilter('targetId', targetDraft.trim() || null)}
            onKeyDown={(e) => e.key === 'Enter' && setFilter('targetId', targetDraft.trim() || null)}
          />
          <Select
            label="Time range"
            placeholder="Any time"
            clearable
            value={filters.range || null}
            onChange={(v) => setFilter('range', v)}
            data={RANGES.map(({ value, label }) => ({ value, label }))}
          />
        </SimpleGrid>
        {filtered ? (
          <Group justify="flex-end" mt="sm">
            <Button
              size="xs"
              variant="subtle"
              leftSection={<IconFilterOff size={14} />}
              onClick={() => {
                setTargetDraft('');
                router.replace(pathname, { scroll: false });
              }}
            >
              Clear filters
            </Button>
          </Group>
        ) : null}
      </Card>

      {list.error && !list.data ? (
        <ErrorState
          error={list.error}
          title="Could not load the audit log"
          onRetry={() => void list.refetch()}
        />
      ) : list.isPending ? (
        <LoadingState label="Loading the audit log…" rows={6} />
      ) : rows.length === 0 ? (
        <EmptyState
          icon={<IconHistory size={22} />}
          title={filtered ? 'Nothing matches these filters' : 'Nothing recorded yet'}
        >
          {filtered
            ? 'Try a wider time range or clear a filter.'
            : 'Changes made in this workspace will show here.'}
        </EmptyState>
      ) : (
        <Stack gap="md">
          <Card p={0}>
            <Table.ScrollContainer minWidth={860}>
              <Table aria-label="Audit log" data-testid="audit-table">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>When</Table.Th>
                    <Table.Th>Who</Table.Th>
                    <Table.Th>What</Table.Th>
                    <Table.Th>To what</Table.Th>
                    <Table.Th>Details</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {rows.map((entry) => (
                    <Table.Tr key={entry.id} data-testid="audit-row" data-action={entry.action}>
                      <Table.Td>
                        <TimeAgo iso={entry.createdAt} />
                      </Table.Td>
                      <Table.Td>
                        <Actor entry={entry} />
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" fw={500}>
                          {auditActionLabel(entry.action)}
                        </Text>
                        <Text size="xs" c="dimmed" ff="monospace">
                          {entry.action}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Target entry={entry} />
                      </Table.Td>
                      <Table.Td maw={320}>
                        <Text size="sm" c="dimmed" lineClamp={2}>
                          {auditSummary(entry)}
                        </Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Card>
          <LoadMoreFooter shown={rows.length} noun={['entry', 'entries']} {...more} />
        </Stack>
      )}
    </>
  );
}

function Actor({ entry }: { entry: AuditEntry }) {
  if (entry.actor.kind === 'repair') {
    return (
      <Badge color="grape" variant="light" styles={{ label: { textTransform: 'none' } }}>
        Repair {entry.actor.id ? shortId(entry.actor.id) : ''}
      </Badge>
    );
  }
  if (entry.actor.kind === 'user') {
    return (
      <Stack gap={0}>
        <Text size="sm">
          {entry.actor.email ?? (entry.actor.id ? `Person ${shortId(entry.actor.id)}` : 'Someone')}
        </Text>
        {typeof entry.data.apiKeyId === 'string' ? (
          <Text size="xs" c="dimmed">
            with an API key
          </Text>
        ) : null}
      </Stack>
    );
  }
  return <Text size="sm">{entry.actor.kind}</Text>;
}

function Target({ entry }: { entry: AuditEntry }) {
  // A target's id is null when the audited thing had none to name (the document says so; e.g. a workspace-wide action).
  const { kind, id } = entry.target;
  if (kind === 'automation' && id)
    return (
      <Anchor component={Link} href={`/automations/${id}`} size="sm">
        Automation {shortId(id)}
      </Anchor>
    );
  if (kind === 'run' && id)
    return (
      <Anchor component={Link} href={`/runs/${id}`} size="sm" ff="monospace">
        Run {shortId(id)}
      </Anchor>
    );
  if (kind === 'secret' && id) return <Code>{id}</Code>;
  const label = AUDIT_TARGET_KINDS.find((k) => k.value === kind)?.label ?? kind;
  const email = typeof entry.data.email === 'string' ? entry.data.email : null;
  const name = typeof entry.data.name === 'string' ? entry.data.name : null;
  return (
    <Text size="sm">
      {label} {email ?? name ?? (id ? shortId(id) : '')}
    </Text>
  );
}
