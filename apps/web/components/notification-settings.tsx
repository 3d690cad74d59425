'use client';

import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  Modal,
  MultiSelect,
  NumberInput,
  PasswordInput,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconSend, IconTrash } from '@tabler/icons-react';
import {
  NOTIFICATION_CHANNEL_KINDS,
  NOTIFICATION_TOPICS,
  type DeliveryStatus,
  type NotificationChannelKind,
  type NotificationTopic,
} from '@mendflow/contracts';
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import {
  type CreatedNotificationChannel,
  type NewNotificationChannel,
  type NotificationChannel,
  toApiError,
} from '@/lib/api';
import {
  queries,
  useCreateNotificationChannel,
  useDeleteNotificationChannel,
  useTestNotificationChannel,
  useUpdateNotificationChannel,
} from '@/lib/queries';
import { useCan } from '@/lib/session';
import { CopyableSecret } from './copyable-secret';
import { ConfirmModal, EmptyState, LoadingState, QueryView, SectionTitle, TimeAgo } from './ui';

const KIND_LABEL: Record<NotificationChannelKind, string> = {
  webhook: 'Webhook (signed)',
  slack: 'Slack incoming webhook',
  email: 'Email (SMTP)',
};
const TOPIC_LABEL: Record<NotificationTopic, string> = {
  'inbox.opened': 'A person is needed (inbox)',
  'run.failed': 'A run failed',
  'repair.deployed': 'A repair was deployed',
};
const DELIVERY_COLOR: Record<DeliveryStatus, string> = {
  pending: 'blue',
  delivered: 'teal',
  failed: 'red',
};

/** Where the workspace is told that a person is needed, and what was sent there lately. */
export function NotificationSettings() {
  const canManage = useCan('notifications:manage');
  return (
    <Card data-testid="notification-settings">
      <SectionTitle>Notifications</SectionTitle>
      <Text size="sm" c="dimmed" mb="md">
        When a run needs a person (an inbox item opens) — and, if a channel asks for it, when a run fails or a
        repair is deployed — Mendflow tells these channels. A manifest can narrow them per automation with{' '}
        <code>notifications.channels</code>.
      </Text>
      <Channels canManage={canManage} />
      {canManage ? <NewChannelForm /> : null}
      <Deliveries />
    </Card>
  );
}

function Channels({ canManage }: { canManage: boolean }) {
  const channels = useQuery(queries.notificationChannels());
  const update = useUpdateNotificationChannel();
  const remove = useDeleteNotificationChannel();
  const test = useTestNotificationChannel();
  const [removing, setRemoving] = useState<NotificationChannel | null>(null);

  async function sendTest(channel: NotificationChannel) {
    try {
      const result = await test.mutateAsync(channel.id);
      notifications.show(
        result.delivered
          ? { color: 'teal', title: 'Test sent', message: `${channel.name} accepted the message.` }
          : { color: 'red', title: 'Test failed', message: result.error ?? 'The channel refused it.' },
      );
    } catch (err) {
      notifications.show({ color: 'red', title: 'Could not test', message: toApiError(err).message });
    }
  }

  return (
    <>
      <QueryView
        query={channels}
        errorTitle="Could not load notification channels"
        loading={<LoadingState rows={2} />}
        empty={
          <EmptyState title="No channels">
            Nobody is told when a run needs a person: add a webhook, Slack or email channel.
          </EmptyState>
        }
      >
        {(data) => (
          <Table.ScrollContainer minWidth={480}>
            <Table aria-label="Notification channels" data-testid="notification-channels" mb="md">
              <Table.Tbody>
                {data.items.map((channel) => (
                  <Table.Tr key={channel.id}>
                    <Table.Td>
                      <Text size="sm" fw={600}>
                        {channel.name}
                      </Text>
                      <Text size="xs" c="dimmed">
                        {KIND_LABEL[channel.kind]} ·{' '}
                        {channel.topics.map((t) => TOPIC_LABEL[t] ?? t).join(', ')}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Switch
                        aria-label={`${channel.name} enabled`}
                        checked={channel.enabled}
                        disabled={!canManage || update.isPending}
                        onChange={(e) =>
                          void update.mutateAsync({ id: channel.id, enabled: e.currentTarget.checked })
                        }
                      />
                    </Table.Td>
                    <Table.Td ta="right">
                      {canManage ? (
                        <Group gap={4} justify="flex-end" wrap="nowrap">
                          <Tooltip label="Send a test message">
                            <ActionIcon
                              variant="subtle"
                              aria-label={`Test ${channel.name}`}
                              onClick={() => void sendTest(channel)}
                              loading={test.isPending && test.variables === channel.id}
                            >
                              <IconSend size={16} />
                            </ActionIcon>
                          </Tooltip>
                          <Tooltip label="Delete">
                            <ActionIcon
                              variant="subtle"
                              color="red"
                              aria-label={`Delete ${channel.name}`}
                              onClick={() => setRemoving(channel)}
                            >
                              <IconTrash size={16} />
                            </ActionIcon>
                          </Tooltip>
                        </Group>
                      ) : null}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryView>
      <ConfirmModal
        opened={removing !== null}
        title="Delete this channel?"
        confirmLabel="Delete"
        busy={remove.isPending}
        onClose={() => setRemoving(null)}
        onConfirm={() =>
          removing &&
          void remove
            .mutateAsync(removing.id)
            .then(() => setRemoving(null))
            .catch((err: unknown) =>
              notifications.show({
                color: 'red',
                title: 'Could not delete',
                message: toApiError(err).message,
              }),
            )
        }
      >
        {removing?.name} is no longer told anything; its delivery history goes with it.
      </ConfirmModal>
    </>
  );
}

interface Draft {
  name: string;
  kind: NotificationChannelKind;
  topics: NotificationTopic[];
  url: string;
  to: string;
  from: string;
  host: string;
  port: number;
  secure: boolean;
  user: string;
  secret: string;
}
const EMPTY: Draft = {
  name: '',
  kind: 'webhook',
  topics: ['inbox.opened'],
  url: '',
  to: '',
  from: '',
  host: '',
  port: 587,
  secure: false,
  user: '',
  secret: '',
};

/** The request body for a draft: each kind's own fields (the API stores a Slack URL and a password encrypted). */
function channelBody(draft: Draft): NewNotificationChannel {
  const common = { name: draft.name.trim(), topics: draft.topics };
  if (draft.kind === 'webhook') return { ...common, kind: 'webhook', config: { url: draft.url.trim() } };
  if (draft.kind === 'slack') return { ...common, kind: 'slack', config: { webhookUrl: draft.url.trim() } };
  return {
    ...common,
    kind: 'email',
    config: {
      to: draft.to
        .split(',')
        .map((address) => address.trim())
        .filter(Boolean),
      from: draft.from.trim(),
      smtp: {
        host: draft.host.trim(),
        port: draft.port,
        secure: draft.secure,
        ...(draft.user.trim() && { user: draft.user.trim() }),
      },
    },
    ...(draft.secret && { password: draft.secret }),
  };
}

function NewChannelForm() {
  const create = useCreateNotificationChannel();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedNotificationChannel | null>(null);
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setError(null);
    try {
      const channel = await create.mutateAsync(channelBody(draft));
      setDraft(EMPTY);
      if (channel.signingSecret) setCreated(channel);
      else notifications.show({ color: 'teal', title: 'Channel added', message: `${channel.name} is set.` });
    } catch (err) {
      setError(toApiError(err).message);
    }
  }

  return (
    <form onSubmit={submit} aria-label="Add a notification channel">
      <Stack gap="xs" mb="md">
        <Group grow align="flex-start">
          <TextInput
            label="Name"
            placeholder="ops-email"
            value={draft.name}
            onChange={(e) => set('name', e.currentTarget.value)}
            required
          />
          <Select
            label="Kind"
            value={draft.kind}
            onChange={(v) => v && set('kind', v as NotificationChannelKind)}
            data={NOTIFICATION_CHANNEL_KINDS.map((k) => ({ value: k, label: KIND_LABEL[k] }))}
            allowDeselect={false}
          />
        </Group>
        <MultiSelect
          label="Tell it when"
          value={draft.topics}
          onChange={(v) => set('topics', v as NotificationTopic[])}
          data={NOTIFICATION_TOPICS.map((t) => ({ value: t, label: TOPIC_LABEL[t] }))}
        />
        {draft.kind === 'webhook' ? (
          <TextInput
            label="URL"
            placeholder="https://hooks.example.com/mendflow"
            value={draft.url}
            onChange={(e) => set('url', e.currentTarget.value)}
            required
          />
        ) : draft.kind === 'slack' ? (
          <PasswordInput
            label="Incoming webhook URL"
            description="Kept encrypted, like a secret: it is a credential."
            value={draft.url}
            onChange={(e) => set('url', e.currentTarget.value)}
            autoComplete="off"
            required
          />
        ) : (
          <>
            <Group grow align="flex-start">
              <TextInput
                label="To"
                description="Comma-separated addresses"
                value={draft.to}
                onChange={(e) => set('to', e.currentTarget.value)}
                required
              />
              <TextInput
                label="From"
                value={draft.from}
                onChange={(e) => set('from', e.currentTarget.value)}
                required
              />
            </Group>
            <Group grow align="flex-end">
              <TextInput
                label="SMTP host"
                value={draft.host}
                onChange={(e) => set('host', e.currentTarget.value)}
                required
              />
              <NumberInput
                label="Port"
                value={draft.port}
                min={1}
                max={65535}
                onChange={(v) => set('port', typeof v === 'number' ? v : Number(v))}
              />
              <Checkbox
                label="TLS from the start"
                checked={draft.secure}
                onChange={(e) => set('secure', e.currentTarget.checked)}
                mb={8}
              />
            </Group>
            <Group grow align="flex-start">
              <TextInput
                label="User"
                value={draft.user}
                onChange={(e) => set('user', e.currentTarget.value)}
              />
              <PasswordInput
                label="Password"
                value={draft.secret}
                onChange={(e) => set('secret', e.currentTarget.value)}
                autoComplete="off"
              />
            </Group>
          </>
        )}
        {error ? (
          <Alert color="red" variant="light" role="alert">
            {error}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button
            type="submit"
            loading={create.isPending}
            disabled={!draft.name.trim() || draft.topics.length === 0}
          >
            Add channel
          </Button>
        </Group>
      </Stack>
      <Modal opened={created !== null} onClose={() => setCreated(null)} title="Webhook channel added">
        <Text size="sm" mb="sm">
          Requests to {String(created?.config.url ?? 'the URL')} carry an <code>X-Mendflow-Signature</code>{' '}
          made with this secret. Copy it now: it is not shown again.
        </Text>
        {created?.signingSecret ? (
          <CopyableSecret
            value={created.signingSecret}
            what="signing secret"
            testId="channel-signing-secret"
          />
        ) : null}
      </Modal>
    </form>
  );
}

function Deliveries() {
  const deliveries = useQuery({ ...queries.notificationDeliveries(), refetchInterval: 10_000 });
  return (
    <>
      <Text size="sm" fw={600} mb="xs">
        Recent deliveries
      </Text>
      <QueryView
        query={deliveries}
        errorTitle="Could not load deliveries"
        loading={<LoadingState rows={2} />}
        empty={
          <Text size="sm" c="dimmed">
            Nothing sent yet.
          </Text>
        }
      >
        {(data) => (
          <Table.ScrollContainer minWidth={520}>
            <Table
              aria-label="Notification deliveries"
              data-testid="notification-deliveries"
              verticalSpacing={6}
            >
              <Table.Tbody>
                {data.items.map((delivery) => (
                  <Table.Tr key={delivery.id}>
                    <Table.Td>
                      <Badge size="sm" variant="light" color={DELIVERY_COLOR[delivery.status]}>
                        {delivery.status}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{delivery.message.title ?? delivery.topic}</Text>
                      <Text size="xs" c="dimmed">
                        {delivery.channelName} · {delivery.attempts} attempt
                        {delivery.attempts === 1 ? '' : 's'}
                        {delivery.lastError ? ` · ${delivery.lastError}` : ''}
                      </Text>
                    </Table.Td>
                    <Table.Td ta="right">
                      <TimeAgo iso={delivery.createdAt} size="xs" c="dimmed" />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryView>
    </>
  );
}
