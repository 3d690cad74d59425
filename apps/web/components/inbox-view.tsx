'use client';

import type { InboxStatus } from '@mendflow/contracts';

import {
  Accordion,
  Alert,
  Badge,
  Button,
  Card,
  Group,
  Modal,
  PasswordInput,
  SegmentedControl,
  Stack,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconCheck, IconInbox, IconKey } from '@tabler/icons-react';
import { useEffect, useState, type FormEvent } from 'react';
import type { InboxAction } from '@mendflow/contracts';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type InboxItem, type Items, toApiError } from '@/lib/api';
import { humanize, shortId } from '@/lib/format';
import { InboxItemOrigin } from './inbox-item-origin';
import { INBOX_ACTION_META, inboxKindMeta } from '@/lib/status';
import { useCan } from '@/lib/session';
import { queries, queryKeys, usePutSecret, useResolveInbox } from '@/lib/queries';
import { ApprovalRequest, resolveErrorMessage } from './approval-request';
import { DiffView } from './diff-view';
import { EmptyState, JsonBlock, LoadingState, PageHeader, QueryView, TimeAgo } from './ui';

const SECRET_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;

/** The secret an auth_required item is about: evidence.secret, else a name in the reason. */
export function secretNameOf(item: Pick<InboxItem, 'evidence' | 'reason'>): string | null {
  const evidence = item.evidence ?? {};
  for (const key of ['secret', 'secretName', 'name']) {
    const value = evidence[key];
    if (typeof value === 'string' && SECRET_NAME.test(value)) return value;
  }
  const match =
    /secret\s+([A-Z][A-Z0-9_]{0,63})\b/.exec(item.reason) ??
    /\/secrets\/([A-Z][A-Z0-9_]{0,63})\b/.exec(item.reason);
  return match?.[1] ?? null;
}

const EMPTY_INBOX: Record<InboxStatus, { title: string; text: string }> = {
  open: {
    title: 'Nothing needs you right now',
    text: 'When a run needs a person — a missing secret, a repair or a step to approve, a failure Mendflow cannot place — it shows up here.',
  },
  resolved: {
    title: 'No resolved items yet',
    text: 'Items you resolve are kept here with who resolved them and how.',
  },
  expired: {
    title: 'No expired requests',
    text: 'Approval requests nobody answered before their deadline end up here; their runs went on as rejected.',
  },
};

export function InboxView() {
  const [status, setStatus] = useState<InboxStatus>('open');
  const list = useQuery(queries.inbox({ status }));
  const client = useQueryClient();

  // Resolved here: gone from this list at once (the write also invalidates the inbox, runs and stats).
  function resolved(item: InboxItem) {
    client.setQueryData<Items<InboxItem>>(queryKeys.inbox.list({ status }), (page) =>
      page ? { ...page, items: page.items.filter((i) => i.id !== item.id) } : page,
    );
  }

  // A link to one item (/inbox#item-<id>, e.g. from a run waiting for approval) scrolls to it once loaded.
  const loaded = list.data !== undefined;
  useEffect(() => {
    if (!loaded || !window.location.hash.startsWith('#item-')) return;
    document.getElementById(window.location.hash.slice(1))?.scrollIntoView({ block: 'center' });
  }, [loaded]);

  return (
    <>
      <PageHeader
        title="Inbox"
        description="Runs that stopped for a person: missing credentials, policy violations, repairs to approve, failures Mendflow could not place. Each item offers the actions that fit it."
        actions={
          <SegmentedControl
            aria-label="Which items"
            value={status}
            onChange={(v) => setStatus(v as InboxStatus)}
            data={[
              { value: 'open', label: 'Open' },
              { value: 'resolved', label: 'Resolved' },
              { value: 'expired', label: 'Expired' },
            ]}
          />
        }
      />
      <QueryView
        query={list}
        errorTitle="Could not load the inbox"
        loading={<LoadingState label="Loading the inbox…" rows={4} />}
        empty={
          <EmptyState
            icon={status === 'open' ? <IconCheck size={22} /> : <IconInbox size={22} />}
            title={EMPTY_INBOX[status].title}
          >
            {EMPTY_INBOX[status].text}
          </EmptyState>
        }
      >
        {(data) => (
          <Stack gap="md" data-testid="inbox-list" data-status={status}>
            {data.items.map((item) =>
              item.kind === 'approval' ? (
                <ApprovalRequest key={item.id} item={item} onResolved={() => resolved(item)} />
              ) : (
                <InboxCard key={item.id} item={item} onResolved={() => resolved(item)} />
              ),
            )}
          </Stack>
        )}
      </QueryView>
    </>
  );
}

function InboxCard({ item, onResolved }: { item: InboxItem; onResolved: () => void }) {
  const kind = inboxKindMeta(item.kind);
  const canResolve = useCan('inbox:resolve');
  const canSetSecrets = useCan('secrets:write');
  const [busy, setBusy] = useState<InboxAction | null>(null);
  const [confirm, setConfirm] = useState<InboxAction | null>(null);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  const resolveInbox = useResolveInbox();
  const client = useQueryClient();
  const diff = typeof item.evidence?.diff === 'string' ? item.evidence.diff : null;
  const evidenceWithoutDiff = item.evidence
    ? Object.fromEntries(Object.entries(item.evidence).filter(([key]) => key !== 'diff'))
    : null;

  async function resolve(action: InboxAction, withComment?: string) {
    setBusy(action);
    setError(null);
    try {
      const comment = withComment?.trim();
      await resolveInbox.mutateAsync({ id: item.id, body: comment ? { action, comment } : { action } });
      notifications.show({
        color: 'teal',
        title: `${INBOX_ACTION_META[action]?.label ?? humanize(action)}: done`,
        message: `${item.automation.name} · run ${shortId(item.run.id)}`,
      });
      setConfirm(null);
      onResolved();
    } catch (err) {
      const apiError = toApiError(err);
      setError(resolveErrorMessage(apiError));
      // Someone else answered first (or it expired): read the item again to show what it is now.
      if (apiError.status === 409) void client.invalidateQueries({ queryKey: queryKeys.inbox.all });
    } finally {
      setBusy(null);
    }
  }

  const needsConfirm = (action: InboxAction) => action === 'cancel' || action === 'reject';

  return (
    <Card
      id={`item-${item.id}`}
      data-testid="inbox-item"
      data-kind={item.kind}
      data-run-id={item.run.id}
      data-item-id={item.id}
    >
      <Stack gap="sm">
        <Group justify="space-between" align="flex-start" gap="xs">
          <Group gap="xs" wrap="wrap">
            <Badge color={kind.color} variant="light">
              {kind.label}
            </Badge>
            <Text fw={600}>{item.title}</Text>
          </Group>
          <TimeAgo iso={item.createdAt} size="xs" c="dimmed" />
        </Group>
        <InboxItemOrigin item={item} />
        <Text size="sm" style={{ overflowWrap: 'anywhere' }} data-testid="inbox-reason">
          {item.reason}
        </Text>

        {diff ? <DiffView diff={diff} label="Proposed change" maxHeight={360} /> : null}

        {evidenceWithoutDiff && Object.keys(evidenceWithoutDiff).length > 0 ? (
          <Accordion variant="contained" chevronPosition="left">
            <Accordion.Item value="evidence">
              <Accordion.Control>
                <Text size="sm">Evidence</Text>
              </Accordion.Control>
              <Accordion.Panel>
                <JsonBlock value={evidenceWithoutDiff} maxHeight={240} />
              </Accordion.Panel>
            </Accordion.Item>
          </Accordion>
        ) : null}

        {item.status === 'open' && item.kind === 'auth_required' && canSetSecrets ? (
          <SetSecretInPlace
            item={item}
            onRetry={() => resolve('retry')}
            canRetry={canResolve && item.actions.includes('retry')}
          />
        ) : null}

        {error ? (
          <Alert color="red" variant="light" role="alert">
            {error}
          </Alert>
        ) : null}

        {item.status === 'open' && !canResolve ? (
          <Text size="sm" c="dimmed">
            Waiting for an editor, admin or owner to answer.
          </Text>
        ) : item.status === 'open' ? (
          <Group gap="xs">
            {item.actions.map((action) => {
              const meta = INBOX_ACTION_META[action] ?? {
                label: humanize(action),
                color: 'gray',
                variant: 'default' as const,
              };
              return (
                <Button
                  key={action}
                  size="sm"
                  color={meta.color}
                  variant={meta.variant}
                  loading={busy === action}
                  disabled={busy !== null && busy !== action}
                  onClick={() => (needsConfirm(action) ? setConfirm(action) : void resolve(action))}
                  data-testid={`inbox-action-${action}`}
                >
                  {meta.label}
                </Button>
              );
            })}
          </Group>
        ) : item.resolution ? (
          <Text size="sm" c="dimmed">
            Resolved with <b>{humanize(item.resolution.action)}</b>
            {item.resolution.by ? ` by user ${shortId(item.resolution.by)}` : ''}
            {item.resolution.at ? (
              <>
                {' '}
                <TimeAgo iso={item.resolution.at} size="sm" c="dimmed" />
              </>
            ) : null}
            {item.resolution.comment ? ` — “${item.resolution.comment}”` : ''}
          </Text>
        ) : null}
      </Stack>

      <Modal
        opened={confirm !== null}
        onClose={() => setConfirm(null)}
        title={confirm === 'reject' ? 'Reject this repair?' : 'Cancel this run?'}
      >
        <Stack>
          <Text size="sm">
            {confirm === 'reject'
              ? 'The proposed version is not deployed and the run ends as failed.'
              : 'The run stops for good; nothing more is tried.'}
          </Text>
          <Textarea
            label="Comment (optional)"
            description="Kept with the resolution, for whoever looks at this run later."
            value={comment}
            onChange={(e) => setComment(e.currentTarget.value)}
            autosize
            minRows={2}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirm(null)}>
              Back
            </Button>
            <Button
              color="red"
              loading={confirm !== null && busy === confirm}
              onClick={() => confirm && void resolve(confirm, comment)}
              data-testid="inbox-confirm"
            >
              {confirm === 'reject' ? 'Reject repair' : 'Cancel run'}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Card>
  );
}

function SetSecretInPlace({
  item,
  onRetry,
  canRetry,
}: {
  item: InboxItem;
  onRetry: () => Promise<void>;
  canRetry: boolean;
}) {
  const known = secretNameOf(item);
  const [name, setName] = useState(known ?? '');
  const [value, setValue] = useState('');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const putSecret = usePutSecret();
  const validName = SECRET_NAME.test(name);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!validName || !value) return;
    setSaving(true);
    setError(null);
    try {
      await putSecret.mutateAsync({ name, value });
      setValue('');
      notifications.show({ color: 'teal', title: 'Secret saved', message: `${name} is set.` });
      if (canRetry) await onRetry();
    } catch (err) {
      setError(toApiError(err).message);
    } finally {
      setSaving(false);
    }
  }

  return (
    <Card withBorder padding="sm" bg="var(--mantine-color-default-hover)" radius="md">
      <form onSubmit={submit} aria-label="Set the missing secret">
        <Stack gap="xs">
          <Group gap={6}>
            <IconKey size={16} />
            <Text size="sm" fw={600}>
              Set the secret{known ? ` ${known}` : ''} here{canRetry ? ', then retry the run' : ''}
            </Text>
          </Group>
          <Group align="flex-end" gap="xs" wrap="wrap">
            {known ? null : (
              <TextInput
                label="Secret name"
                placeholder="CRM_TOKEN"
                value={name}
                onChange={(e) => setName(e.currentTarget.value.toUpperCase())}
                error={name && !validName ? 'Upper-case letters, digits and _' : undefined}
                w={200}
              />
            )}
            <PasswordInput
              label="Value"
              placeholder="Paste the value"
              value={value}
              onChange={(e) => setValue(e.currentTarget.value)}
              autoComplete="off"
              style={{ flex: '1 1 14rem' }}
              data-testid="secret-value"
            />
            <Button
              type="submit"
              loading={saving}
              disabled={!validName || !value}
              data-testid="secret-save-retry"
            >
              {canRetry ? 'Save and retry' : 'Save secret'}
            </Button>
          </Group>
          <Text size="xs" c="dimmed">
            Stored encrypted; only its name is ever shown again.
          </Text>
          {error ? (
            <Text size="xs" c="red" role="alert">
              {error}
            </Text>
          ) : null}
        </Stack>
      </form>
    </Card>
  );
}
