'use client';

import {
  Accordion,
  Alert,
  Anchor,
  Badge,
  Breadcrumbs,
  Button,
  Card,
  Code,
  Grid,
  Group,
  Modal,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconBan, IconInfoCircle, IconRefresh } from '@tabler/icons-react';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { ACTIVE_RUN_STATUSES, isCancellable, isRetryable, type RunStatus } from '@mendflow/contracts';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState, type ReactNode } from 'react';
import { type Attempt, type AttemptLogs, type Classification, type RunDetail, toApiError } from '@/lib/api';
import {
  formatAbsolute,
  formatBytes,
  formatDuration,
  formatMs,
  humanize,
  prettyJson,
  shortId,
} from '@/lib/format';
import { useLiveConnection } from '@/lib/live';
import { useCan } from '@/lib/session';
import { queries, useCancelRun, useRetryRun } from '@/lib/queries';
import { statusFromEvents } from '@/lib/run-cache';
import { useRunTimeline } from '@/lib/run-timeline';
import { RunTimeline } from './run-timeline';
import { WaitingForLine } from './waiting-for';
import {
  CodeBlock,
  EmptyState,
  ErrorState,
  FailureClassBadge,
  JsonBlock,
  LoadingState,
  PageHeader,
  RunStatusBadge,
  SectionTitle,
  TimeAgo,
} from './ui';

export function RunView({ id }: { id: string }) {
  const timeline = useRunTimeline(id);
  const run = useQuery(queries.run(id));
  const logs = useQuery(queries.runLogs(id));
  const connection = useLiveConnection();

  // The status shown is the catalog's status after the timeline's last transition (statusAfter), so it is
  // the same live and after a reload; the run as read over HTTP fills in until the timeline has loaded.
  const status = useMemo<RunStatus | undefined>(
    () => statusFromEvents(timeline.events) ?? run.data?.status,
    [timeline.events, run.data?.status],
  );

  if (run.error && !run.data) {
    return (
      <>
        <PageHeader title="Run" eyebrow={<Crumbs id={id} />} />
        <ErrorState
          error={run.error}
          title={run.error.status === 404 ? 'This run does not exist' : 'Could not load the run'}
          onRetry={run.error.status === 404 ? undefined : () => void run.refetch()}
        />
      </>
    );
  }
  if (run.isPending || !run.data || !status) return <LoadingState label="Loading run…" rows={6} />;

  const r = run.data;
  const attempts = [...(r.attempts ?? [])].sort((a, b) => b.number - a.number);
  const latest = attempts[0];
  const stopped = status === 'failed' || status === 'action_needed' || status === 'cancelled';

  return (
    <>
      <PageHeader
        eyebrow={<Crumbs id={id} />}
        title={`Run ${shortId(r.id)}`}
        badge={<RunStatusBadge status={status} size="lg" testId="run-status" />}
        description={
          <>
            {r.trigger === 'exploration' ? (
              // The hidden exploration automation has no page: the snippet is shown below instead.
              <Text span size="sm" fw={500} data-testid="exploration-label">
                Exploration run (an agent's MCP execute)
              </Text>
            ) : (
              <Anchor component={Link} href={`/automations/${r.automationId}`} size="sm">
                {r.automationName}
              </Anchor>
            )}{' '}
            · version {r.versionNumber} · {humanize(r.trigger)}
            <TriggerOrigin context={r.triggerContext} /> · created <TimeAgo iso={r.createdAt} />
          </>
        }
        actions={<RunControls run={r} status={status} />}
      />

      {r.exploration ? (
        <Paper withBorder p="md" mb="md" data-testid="exploration-source">
          <SectionTitle>Code that ran</SectionTitle>
          <CodeBlock code={r.exploration.source} language="javascript" lineNumbers maxHeight={400} />
        </Paper>
      ) : null}

      {status === 'waiting' || status === 'queued' ? <WaitingForLine waitingFor={r.waitingFor} /> : null}

      {stopped && (latest?.classification || r.error) ? (
        <WhyItStopped status={status} classification={latest?.classification ?? null} run={r} />
      ) : null}

      <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="md" mb="lg">
        <Stat label="Attempts" value={String(Math.max(r.attemptCount, attempts.length))} />
        <Stat
          label="Duration"
          value={
            r.finishedAt
              ? formatDuration(r.startedAt ?? r.createdAt, r.finishedAt)
              : ACTIVE_RUN_STATUSES.includes(status)
                ? 'In progress'
                : '—'
          }
        />
        <Stat label="Wall time (total)" value={formatMs(sum(attempts.map((a) => a.cost.wallMs)))} />
        <Stat label="CPU time (total)" value={formatMs(sum(attempts.map((a) => a.cost.cpuMs)))} />
      </SimpleGrid>

      <Grid gap="lg">
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Card>
            <SectionTitle
              right={
                <Tooltip
                  label={
                    connection === 'connected'
                      ? 'New events appear as they happen'
                      : 'Live connection down: checking every 2 seconds'
                  }
                >
                  <Badge
                    variant="dot"
                    color={connection === 'connected' ? 'teal' : 'yellow'}
                    styles={{ root: { textTransform: 'none' } }}
                  >
                    {connection === 'connected' ? 'Live' : 'Polling'}
                  </Badge>
                </Tooltip>
              }
            >
              Timeline
            </SectionTitle>
            {timeline.error ? (
              <ErrorState
                error={timeline.error}
                title="Could not load the timeline"
                onRetry={timeline.reload}
              />
            ) : timeline.loading ? (
              <LoadingState rows={3} />
            ) : timeline.events.length === 0 ? (
              <Text size="sm" c="dimmed">
                No events yet.
              </Text>
            ) : (
              <RunTimeline events={timeline.events} settled={timeline.settled} />
            )}
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Stack gap="lg">
            <Card>
              <SectionTitle>Attempts</SectionTitle>
              {attempts.length === 0 ? (
                <Text size="sm" c="dimmed">
                  No attempt has started yet.
                </Text>
              ) : (
                <Accordion
                  variant="separated"
                  multiple
                  defaultValue={latest ? [String(latest.number)] : []}
                  key={attempts.length}
                >
                  {attempts.map((attempt) => (
                    <AttemptItem
                      key={attempt.number}
                      attempt={attempt}
                      showOutput={attempts.length > 1}
                      logs={logs.data?.items.find((l) => l.attempt === attempt.number)}
                    />
                  ))}
                </Accordion>
              )}
            </Card>
            <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="lg">
              <Card>
                <SectionTitle>Input</SectionTitle>
                <JsonBlock value={r.input ?? {}} maxHeight={240} />
              </Card>
              <Card>
                <SectionTitle>Output</SectionTitle>
                {r.output === null || r.output === undefined ? (
                  <Text size="sm" c="dimmed">
                    {status === 'succeeded' ? 'The script returned nothing.' : 'No output yet.'}
                  </Text>
                ) : (
                  <div data-testid="run-output">
                    <JsonBlock value={r.output} maxHeight={240} />
                  </div>
                )}
              </Card>
            </SimpleGrid>
          </Stack>
        </Grid.Col>
      </Grid>
    </>
  );
}

/** The API's limit on a cancel reason (POST /runs/:id/cancel). */
const CANCEL_REASON_MAX = 500;

function sum(values: (number | null)[]): number | null {
  const present = values.filter((v): v is number => typeof v === 'number');
  return present.length ? present.reduce((a, b) => a + b, 0) : null;
}

function Crumbs({ id }: { id: string }) {
  return (
    <Breadcrumbs separator="/" fz="sm">
      <Anchor component={Link} href="/runs" size="sm">
        Runs
      </Anchor>
      <Text size="sm" c="dimmed" ff="monospace">
        {shortId(id)}
      </Text>
    </Breadcrumbs>
  );
}

function Stat({ label, value }: { label: string; value: ReactNode }) {
  return (
    <Paper withBorder p="md" radius="md">
      <Text size="xs" c="dimmed" tt="uppercase" fw={600} style={{ letterSpacing: '0.04em' }}>
        {label}
      </Text>
      <Text fw={700} size="lg" mt={2}>
        {value}
      </Text>
    </Paper>
  );
}

function WhyItStopped({
  status,
  classification,
  run,
}: {
  status: string;
  classification: Classification | null;
  run: RunDetail;
}) {
  const color = status === 'cancelled' ? 'gray' : status === 'action_needed' ? 'orange' : 'red';
  const title =
    status === 'action_needed'
      ? 'Waiting for a person'
      : status === 'cancelled'
        ? 'This run was cancelled'
        : 'This run failed';
  return (
    <Alert
      color={color}
      variant="light"
      mb="lg"
      icon={<IconInfoCircle size={20} />}
      title={title}
      data-testid="why-stopped"
    >
      <Stack gap="xs">
        {run.error ? (
          <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
            <Text span fw={700} inherit>
              {run.error.name}:
            </Text>{' '}
            {run.error.message}
            {run.error.location ? (
              <Text span c="dimmed" size="xs" ff="monospace">
                {' '}
                at {run.error.location}
              </Text>
            ) : null}
          </Text>
        ) : null}
        {classification ? (
          <Group gap="xs" align="flex-start" wrap="nowrap" data-testid="classification">
            <FailureClassBadge value={classification.class} size="md" />
            <Text size="sm" data-testid="classification-reason" style={{ overflowWrap: 'anywhere' }}>
              {classification.reason}
            </Text>
          </Group>
        ) : null}
        {status === 'action_needed' ? (
          <Anchor component={Link} href="/inbox" size="sm" fw={600}>
            Resolve it in the inbox →
          </Anchor>
        ) : null}
      </Stack>
    </Alert>
  );
}

function RunControls({ run, status }: { run: RunDetail; status: RunStatus }) {
  const router = useRouter();
  // Viewers see the run; starting, cancelling and retrying take an editor.
  const canControl = useCan('runs:write');
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [reason, setReason] = useState('');
  const cancelRun = useCancelRun();
  const retryRun = useRetryRun();
  const cancellable = isCancellable(status);
  const retryable = isRetryable(status);
  const trimmedReason = reason.trim();
  const reasonTooLong = trimmedReason.length > CANCEL_REASON_MAX;

  async function cancel() {
    if (reasonTooLong) return;
    try {
      await cancelRun.mutateAsync({ runId: run.id, reason: trimmedReason || undefined });
      notifications.show({
        color: 'gray',
        title: 'Run cancelled',
        message: `Run ${shortId(run.id)} will not continue.`,
      });
      setConfirmCancel(false);
      setReason('');
    } catch (error) {
      notifications.show({
        color: 'red',
        title: 'Could not cancel',
        message:
          toApiError(error).code === 'RUN_NOT_CANCELLABLE'
            ? 'The run already finished.'
            : toApiError(error).message,
      });
    }
  }

  async function retry() {
    try {
      const next = await retryRun.mutateAsync(run.id);
      notifications.show({ color: 'teal', title: 'Retrying', message: 'A new attempt is queued.' });
      if (next.id !== run.id) router.push(`/runs/${next.id}`);
    } catch (error) {
      notifications.show({
        color: 'red',
        title: 'Could not retry',
        message:
          toApiError(error).code === 'RUN_NOT_RETRYABLE'
            ? 'This run cannot be retried in its current state.'
            : toApiError(error).message,
      });
    }
  }

  return (
    <>
      {retryable && canControl ? (
        <Button
          leftSection={<IconRefresh size={16} />}
          onClick={() => void retry()}
          loading={retryRun.isPending}
          data-testid="retry-run"
        >
          Retry
        </Button>
      ) : null}
      {cancellable && canControl ? (
        <Button
          variant="default"
          color="red"
          leftSection={<IconBan size={16} />}
          onClick={() => setConfirmCancel(true)}
          data-testid="cancel-run"
        >
          Cancel run
        </Button>
      ) : null}
      <Modal opened={confirmCancel} onClose={() => setConfirmCancel(false)} title="Cancel this run?">
        <Stack>
          <Text size="sm">
            The current attempt is stopped and nothing more is tried. This cannot be undone.
          </Text>
          <Textarea
            label="Reason (optional)"
            description="Recorded in the run's timeline."
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            error={reasonTooLong ? `At most ${CANCEL_REASON_MAX} characters` : undefined}
            autosize
            minRows={2}
            data-testid="cancel-reason"
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirmCancel(false)}>
              Keep running
            </Button>
            <Button
              color="red"
              loading={cancelRun.isPending}
              disabled={reasonTooLong}
              onClick={() => void cancel()}
              data-testid="cancel-run-confirm"
            >
              Cancel run
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

function AttemptItem({
  attempt,
  logs,
  showOutput,
}: {
  attempt: Attempt;
  logs: AttemptLogs | undefined;
  /** The run's output card already shows the output of a single attempt. */
  showOutput: boolean;
}) {
  const c = attempt.classification;
  return (
    <Accordion.Item value={String(attempt.number)} data-testid="attempt">
      <Accordion.Control aria-label={`Attempt ${attempt.number}`}>
        <Group gap="sm" wrap="wrap">
          <Text fw={600}>Attempt {attempt.number}</Text>
          <RunStatusBadge status={attempt.status} size="sm" testId="attempt-status" />
          <Text size="xs" c="dimmed">
            v{attempt.versionNumber}
            {attempt.finishedAt ? ` · ${formatDuration(attempt.startedAt, attempt.finishedAt)}` : ''}
          </Text>
          {c ? <FailureClassBadge value={c.class} size="xs" /> : null}
        </Group>
      </Accordion.Control>
      <Accordion.Panel>
        <Stack gap="md">
          {attempt.error ? (
            <Stack gap={4}>
              <Text size="xs" c="dimmed" fw={600} tt="uppercase">
                Error
              </Text>
              <Text size="sm" c="red.7" style={{ overflowWrap: 'anywhere' }}>
                <Text span fw={700} inherit>
                  {attempt.error.name}:
                </Text>{' '}
                {attempt.error.message}
              </Text>
              <Group gap={6}>
                {attempt.error.location ? <Code>{attempt.error.location}</Code> : null}
                {attempt.error.code ? (
                  <Badge size="xs" variant="default">
                    {attempt.error.code}
                  </Badge>
                ) : null}
                {attempt.error.limit ? (
                  <Badge size="xs" color="red" variant="light">
                    limit: {attempt.error.limit}
                  </Badge>
                ) : null}
              </Group>
              {attempt.error.stack ? (
                <CodeBlock code={attempt.error.stack} language="plaintext" maxHeight={120} />
              ) : null}
            </Stack>
          ) : null}
          {c ? (
            <Stack gap={6}>
              <Text size="xs" c="dimmed" fw={600} tt="uppercase">
                Classification
              </Text>
              <Group gap="xs" align="flex-start" wrap="nowrap">
                <FailureClassBadge value={c.class} />
                <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                  {c.reason}
                </Text>
              </Group>
              {c.evidence !== undefined && c.evidence !== null ? (
                <>
                  <Text size="xs" c="dimmed">
                    Evidence
                  </Text>
                  <JsonBlock value={c.evidence} maxHeight={160} />
                </>
              ) : null}
            </Stack>
          ) : null}
          <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="xs">
            <Cost label="CPU" value={formatMs(attempt.cost.cpuMs)} />
            <Cost label="Wall" value={formatMs(attempt.cost.wallMs)} />
            <Cost label="Memory" value={formatBytes(attempt.cost.memoryBytes)} />
            <Cost
              label="Fetches"
              value={attempt.cost.fetches === null ? '—' : String(attempt.cost.fetches)}
            />
          </SimpleGrid>
          <Stack gap={4}>
            <Text size="xs" c="dimmed" fw={600} tt="uppercase">
              Logs
            </Text>
            <LogTable logs={logs} />
          </Stack>
          {showOutput && attempt.output !== null && attempt.output !== undefined ? (
            <Stack gap={4}>
              <Text size="xs" c="dimmed" fw={600} tt="uppercase">
                Output
              </Text>
              <JsonBlock value={attempt.output} maxHeight={160} />
            </Stack>
          ) : null}
        </Stack>
      </Accordion.Panel>
    </Accordion.Item>
  );
}

function Cost({ label, value }: { label: string; value: string }) {
  return (
    <Paper withBorder p={8} radius="sm">
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm" fw={600}>
        {value}
      </Text>
    </Paper>
  );
}

const LEVEL_COLOR: Record<string, string> = { debug: 'gray', info: 'blue', warn: 'yellow', error: 'red' };

function LogTable({ logs }: { logs: AttemptLogs | undefined }) {
  if (!logs || logs.logs.length === 0) {
    return <EmptyState title="No log lines">The script logged nothing in this attempt.</EmptyState>;
  }
  return (
    <Table.ScrollContainer minWidth={420} mah={320}>
      <Table verticalSpacing={4} fz="xs" ff="monospace" withRowBorders={false} striped data-testid="logs">
        <Table.Tbody>
          {logs.logs.map((line, i) => (
            <Table.Tr key={i}>
              <Table.Td w={70} c="dimmed" style={{ whiteSpace: 'nowrap' }}>
                {typeof line.t === 'number' ? `+${line.t} ms` : line.t}
              </Table.Td>
              <Table.Td w={64}>
                <Badge
                  size="xs"
                  variant="light"
                  color={LEVEL_COLOR[line.level] ?? 'gray'}
                  styles={{ root: { overflow: 'visible' }, label: { overflow: 'visible' } }}
                >
                  {line.level}
                </Badge>
              </Table.Td>
              <Table.Td style={{ overflowWrap: 'anywhere' }}>
                {line.message}
                {line.data !== undefined ? (
                  <Text span c="dimmed" inherit>
                    {' '}
                    {prettyJson(line.data).replace(/\s*\n\s*/g, ' ')}
                  </Text>
                ) : null}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** Where a triggered run came from: the tick it was scheduled for, or the run whose event started it. */
function TriggerOrigin({ context }: { context: RunDetail['triggerContext'] }) {
  if (!context) return null;
  if (context.kind === 'cron')
    return <span data-testid="trigger-origin"> (tick of {formatAbsolute(context.scheduledAt)})</span>;
  if (context.kind === 'event')
    return (
      <span data-testid="trigger-origin">
        {' '}
        (<Code>{context.name}</Code>
        {context.sourceRunId ? (
          <>
            {' '}
            from run{' '}
            <Anchor component={Link} href={`/runs/${context.sourceRunId}`} size="sm" ff="monospace">
              {shortId(context.sourceRunId)}
            </Anchor>
          </>
        ) : null}
        )
      </span>
    );
  return null;
}
