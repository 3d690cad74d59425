'use client';

import {
  ActionIcon,
  Alert,
  Button,
  Card,
  Code,
  CopyButton,
  Grid,
  Group,
  Modal,
  PasswordInput,
  Stack,
  Table,
  Text,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconCheck, IconCopy, IconKey, IconLock, IconLogout, IconTrash } from '@tabler/icons-react';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { api, type ApiKey, type CreatedApiKey, type Secret, toApiError } from '@/lib/api';
import { useSession, useSignedIn } from '@/lib/session';
import { invalidate, useApi } from '@/lib/use-api';
import { EmptyState, Facts, LoadingState, PageHeader, QueryView, SectionTitle, TimeAgo } from './ui';

const SECRET_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;

export function SettingsView() {
  return (
    <>
      <PageHeader
        title="Settings"
        description="Your account, API keys for scripts and agents, and the workspace's secrets."
      />
      <Grid gap="lg">
        <Grid.Col span={{ base: 12, lg: 7 }}>
          <Stack gap="lg">
            <ApiKeys />
            <Secrets />
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 5 }}>
          <Account />
        </Grid.Col>
      </Grid>
    </>
  );
}

function Account() {
  const { user, workspace } = useSignedIn();
  const { signOut } = useSession();
  const router = useRouter();
  return (
    <Card>
      <SectionTitle>Account</SectionTitle>
      <Facts
        items={[
          { label: 'Email', value: user.email },
          { label: 'Role', value: user.role },
          { label: 'Workspace', value: workspace.name },
        ]}
      />
      <Button
        mt="lg"
        variant="default"
        leftSection={<IconLogout size={16} />}
        onClick={() => void signOut().then(() => router.replace('/login'))}
      >
        Sign out
      </Button>
    </Card>
  );
}

function ApiKeys() {
  const keys = useApi('api-keys', (signal) => api.apiKeys(signal), ['api-keys']);
  const [name, setName] = useState('');
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [revoke, setRevoke] = useState<ApiKey | null>(null);
  const [revoking, setRevoking] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!name.trim()) return;
    setCreating(true);
    setError(null);
    try {
      const key = await api.createApiKey(name.trim());
      setCreated(key);
      setName('');
      invalidate('api-keys');
    } catch (err) {
      setError(toApiError(err).message);
    } finally {
      setCreating(false);
    }
  }

  async function doRevoke(key: ApiKey) {
    setRevoking(true);
    try {
      await api.revokeApiKey(key.id);
      keys.setData((page) => page && { items: page.items.filter((k) => k.id !== key.id) });
      notifications.show({ color: 'gray', title: 'Key revoked', message: `${key.name} stops working now.` });
      setRevoke(null);
    } catch (err) {
      notifications.show({ color: 'red', title: 'Could not revoke', message: toApiError(err).message });
    } finally {
      setRevoking(false);
    }
  }

  return (
    <Card>
      <SectionTitle>API keys</SectionTitle>
      <Text size="sm" c="dimmed" mb="md">
        For scripts, CI and agents: send <Code>Authorization: Bearer &lt;key&gt;</Code>. A key acts as you,
        and is shown only once.
      </Text>
      <form onSubmit={create} aria-label="Create an API key">
        <Group align="flex-end" gap="xs" mb="md" wrap="wrap">
          <TextInput
            label="New key name"
            placeholder="e.g. deploy pipeline"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            style={{ flex: '1 1 14rem' }}
            maxLength={100}
          />
          <Button
            type="submit"
            loading={creating}
            disabled={!name.trim()}
            leftSection={<IconKey size={16} />}
          >
            Create key
          </Button>
        </Group>
      </form>
      {error ? (
        <Alert color="red" variant="light" mb="md" role="alert">
          {error}
        </Alert>
      ) : null}
      <QueryView
        query={keys}
        errorTitle="Could not load API keys"
        loading={<LoadingState rows={3} />}
        empty={<EmptyState title="No API keys">Create one for a script or an agent.</EmptyState>}
      >
        {(data) => (
          <Table.ScrollContainer minWidth={520}>
            <Table aria-label="API keys" data-testid="api-keys">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Key</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Last used</Table.Th>
                  <Table.Th>
                    <span className="visually-hidden">Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.items.map((key) => (
                  <Table.Tr key={key.id}>
                    <Table.Td fw={500}>{key.name}</Table.Td>
                    <Table.Td>
                      <Code>{key.prefix}…</Code>
                    </Table.Td>
                    <Table.Td>
                      <TimeAgo iso={key.createdAt} />
                    </Table.Td>
                    <Table.Td>
                      {key.lastUsedAt ? (
                        <TimeAgo iso={key.lastUsedAt} />
                      ) : (
                        <Text size="sm" c="dimmed">
                          Never
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td ta="right">
                      <Button
                        size="xs"
                        variant="subtle"
                        color="red"
                        onClick={() => setRevoke(key)}
                        aria-label={`Revoke ${key.name}`}
                      >
                        Revoke
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryView>

      <Modal opened={created !== null} onClose={() => setCreated(null)} title="Your new API key" size="lg">
        {created ? (
          <Stack>
            <Alert color="yellow" variant="light" icon={<IconLock size={18} />}>
              Copy it now: it is stored hashed and will not be shown again.
            </Alert>
            <Group gap="xs" wrap="nowrap">
              <Code
                block
                style={{ flex: 1, wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}
                data-testid="new-api-key"
              >
                {created.key}
              </Code>
              <CopyButton value={created.key}>
                {({ copied, copy }) => (
                  <Tooltip label={copied ? 'Copied' : 'Copy'}>
                    <ActionIcon
                      variant={copied ? 'filled' : 'default'}
                      color={copied ? 'teal' : undefined}
                      size="lg"
                      onClick={copy}
                      aria-label="Copy the key"
                    >
                      {copied ? <IconCheck size={18} /> : <IconCopy size={18} />}
                    </ActionIcon>
                  </Tooltip>
                )}
              </CopyButton>
            </Group>
            <Group justify="flex-end">
              <Button onClick={() => setCreated(null)}>Done</Button>
            </Group>
          </Stack>
        ) : null}
      </Modal>

      <Modal opened={revoke !== null} onClose={() => setRevoke(null)} title="Revoke this key?">
        <Stack>
          <Text size="sm">
            Anything using <b>{revoke?.name}</b> stops working at once, including its live connections.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRevoke(null)}>
              Keep it
            </Button>
            <Button color="red" loading={revoking} onClick={() => revoke && void doRevoke(revoke)}>
              Revoke
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Card>
  );
}

function Secrets() {
  const secrets = useApi('secrets', (signal) => api.secrets(signal), ['secrets']);
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [replace, setReplace] = useState<Secret | null>(null);
  const [replacement, setReplacement] = useState('');
  const [remove, setRemove] = useState<Secret | null>(null);
  const [busy, setBusy] = useState(false);
  const validName = SECRET_NAME.test(name);

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!validName || !value) return;
    setSaving(true);
    setError(null);
    try {
      const result = await api.putSecret(name, value);
      notifications.show({
        color: 'teal',
        title: result.created ? 'Secret created' : 'Secret replaced',
        message: `${name} is set.`,
      });
      setName('');
      setValue('');
      invalidate('secrets');
    } catch (err) {
      setError(toApiError(err).message);
    } finally {
      setSaving(false);
    }
  }

  async function doReplace(secret: Secret) {
    setBusy(true);
    try {
      await api.putSecret(secret.name, replacement);
      notifications.show({
        color: 'teal',
        title: 'Secret replaced',
        message: `${secret.name} has a new value.`,
      });
      setReplace(null);
      setReplacement('');
      invalidate('secrets');
    } catch (err) {
      notifications.show({ color: 'red', title: 'Could not save', message: toApiError(err).message });
    } finally {
      setBusy(false);
    }
  }

  async function doRemove(secret: Secret) {
    setBusy(true);
    try {
      await api.deleteSecret(secret.name);
      secrets.setData((page) => page && { items: page.items.filter((s) => s.name !== secret.name) });
      notifications.show({ color: 'gray', title: 'Secret deleted', message: `${secret.name} is gone.` });
      setRemove(null);
    } catch (err) {
      notifications.show({ color: 'red', title: 'Could not delete', message: toApiError(err).message });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card>
      <SectionTitle>Secrets</SectionTitle>
      <Text size="sm" c="dimmed" mb="md">
        Scripts read them with <Code>ctx.secrets.get(name)</Code> when their manifest declares the name.
        Values are encrypted and never shown again — only names.
      </Text>
      <form onSubmit={save} aria-label="Set a secret">
        <Group align="flex-start" gap="xs" mb="md" wrap="wrap">
          <TextInput
            label="Name"
            placeholder="CRM_TOKEN"
            value={name}
            onChange={(e) => setName(e.currentTarget.value.toUpperCase())}
            error={
              name && !validName ? 'Upper-case letters, digits and _, starting with a letter' : undefined
            }
            style={{ flex: '1 1 10rem' }}
          />
          <PasswordInput
            label="Value"
            value={value}
            onChange={(e) => setValue(e.currentTarget.value)}
            autoComplete="off"
            style={{ flex: '2 1 14rem' }}
          />
          <Button type="submit" mt={25} loading={saving} disabled={!validName || !value}>
            Save
          </Button>
        </Group>
      </form>
      {error ? (
        <Alert color="red" variant="light" mb="md" role="alert">
          {error}
        </Alert>
      ) : null}
      <QueryView
        query={secrets}
        errorTitle="Could not load secrets"
        loading={<LoadingState rows={3} />}
        empty={<EmptyState title="No secrets">Add the credentials your scripts need.</EmptyState>}
      >
        {(data) => (
          <Table.ScrollContainer minWidth={420}>
            <Table aria-label="Secrets" data-testid="secrets">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Updated</Table.Th>
                  <Table.Th>
                    <span className="visually-hidden">Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.items.map((secret) => (
                  <Table.Tr key={secret.name}>
                    <Table.Td>
                      <Code>{secret.name}</Code>
                    </Table.Td>
                    <Table.Td>
                      <TimeAgo iso={secret.updatedAt} />
                    </Table.Td>
                    <Table.Td>
                      <Group gap={4} justify="flex-end" wrap="nowrap">
                        <Button
                          size="xs"
                          variant="subtle"
                          onClick={() => setReplace(secret)}
                          aria-label={`Replace ${secret.name}`}
                        >
                          Replace
                        </Button>
                        <Tooltip label={`Delete ${secret.name}`}>
                          <ActionIcon
                            variant="subtle"
                            color="red"
                            onClick={() => setRemove(secret)}
                            aria-label={`Delete ${secret.name}`}
                          >
                            <IconTrash size={16} />
                          </ActionIcon>
                        </Tooltip>
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryView>

      <Modal
        opened={replace !== null}
        onClose={() => setReplace(null)}
        title={`Replace ${replace?.name ?? ''}`}
      >
        <Stack>
          <PasswordInput
            label="New value"
            value={replacement}
            onChange={(e) => setReplacement(e.currentTarget.value)}
            autoComplete="off"
            data-autofocus
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setReplace(null)}>
              Cancel
            </Button>
            <Button loading={busy} disabled={!replacement} onClick={() => replace && void doReplace(replace)}>
              Save
            </Button>
          </Group>
        </Stack>
      </Modal>

      <Modal opened={remove !== null} onClose={() => setRemove(null)} title={`Delete ${remove?.name ?? ''}?`}>
        <Stack>
          <Text size="sm">Runs that need it will stop with “auth required” until it is set again.</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRemove(null)}>
              Keep it
            </Button>
            <Button color="red" loading={busy} onClick={() => remove && void doRemove(remove)}>
              Delete
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Card>
  );
}
