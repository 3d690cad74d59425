'use client';

import {
  ActionIcon,
  Alert,
  Button,
  Card,
  Code,
  Grid,
  Group,
  Modal,
  PasswordInput,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconDoorExit, IconKey, IconLock, IconLogout, IconTrash } from '@tabler/icons-react';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { api, type ApiKey, type CreatedApiKey, type Role, ROLES, type Secret, toApiError } from '@/lib/api';
import { useCan, useSession, useSignedIn } from '@/lib/session';
import { queries, useCreateApiKey, useDeleteSecret, usePutSecret, useRevokeApiKey } from '@/lib/queries';
import { useQuery } from '@tanstack/react-query';
import { CopyableSecret } from './copyable-secret';
import { MembersSection, ROLE_LABEL, RoleBadge } from './members-section';
import { NotificationSettings } from './notification-settings';
import { RetentionSettingsCard } from './retention-settings';
import { SigningSettings } from './signing-settings';
import { EmptyState, Facts, LoadingState, PageHeader, QueryView, SectionTitle, TimeAgo } from './ui';

const SECRET_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;

const KEY_EXPIRY = [
  { value: 'never', label: 'Never expires' },
  { value: '7', label: '7 days' },
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '1 year' },
];

export function SettingsView() {
  const canManageKeys = useCan('api_keys:manage');
  return (
    <>
      <PageHeader
        title="Settings"
        description="Your account, the workspace's members, API keys for scripts and agents, secrets, who is told when a run needs a person, and how long runs are kept."
      />
      <Grid gap="lg">
        <Grid.Col span={{ base: 12, lg: 7 }}>
          <Stack gap="lg">
            <MembersSection />
            {canManageKeys ? <ApiKeys /> : null}
            <Secrets />
            <NotificationSettings />
            <SigningSettings />
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 5 }}>
          <Stack gap="lg">
            <Account />
            <WorkspaceSettings />
            <RetentionSettingsCard />
          </Stack>
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
          { label: 'Role', value: <RoleBadge role={user.role} /> },
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
  const keys = useQuery(queries.apiKeys());
  const createApiKey = useCreateApiKey();
  const revokeApiKey = useRevokeApiKey();
  const { user } = useSignedIn();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>(user.role);
  const [expiry, setExpiry] = useState('never');
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  // A key never has more rights than its creator.
  const roles = ROLES.slice(ROLES.indexOf(user.role));
  const [revoke, setRevoke] = useState<ApiKey | null>(null);
  const [revoking, setRevoking] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!name.trim()) return;
    setCreating(true);
    setError(null);
    try {
      const expiresAt =
        expiry === 'never' ? null : new Date(Date.now() + Number(expiry) * 86_400_000).toISOString();
      const key = await createApiKey.mutateAsync({ name: name.trim(), role, expiresAt });
      setCreated(key);
      setName('');
    } catch (err) {
      setError(toApiError(err).message);
    } finally {
      setCreating(false);
    }
  }

  async function doRevoke(key: ApiKey) {
    setRevoking(true);
    try {
      await revokeApiKey.mutateAsync(key.id);
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
        For scripts, CI and agents: send <Code>Authorization: Bearer &lt;key&gt;</Code>. A key acts as you
        with the role you give it (never more than yours), and is shown only once.
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
          <Select
            label="Role"
            value={role}
            allowDeselect={false}
            onChange={(value) => value && setRole(value as Role)}
            data={roles.map((r) => ({ value: r, label: ROLE_LABEL[r] }))}
            w={120}
          />
          <Select
            label="Expiry"
            value={expiry}
            allowDeselect={false}
            onChange={(value) => value && setExpiry(value)}
            data={KEY_EXPIRY}
            w={150}
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
          <Table.ScrollContainer minWidth={760}>
            <Table aria-label="API keys" data-testid="api-keys">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Key</Table.Th>
                  <Table.Th>Role</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Last used</Table.Th>
                  <Table.Th>Expires</Table.Th>
                  <Table.Th>
                    <span className="visually-hidden">Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.items.map((key) => (
                  <Table.Tr key={key.id}>
                    <Table.Td>
                      <Text size="sm" fw={500}>
                        {key.name}
                      </Text>
                      <Text size="xs" c="dimmed">
                        {key.createdBy.email}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Code>{key.prefix}…</Code>
                    </Table.Td>
                    <Table.Td>
                      <RoleBadge role={key.role} />
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
                    <Table.Td>
                      {key.expiresAt ? (
                        <TimeAgo iso={key.expiresAt} future />
                      ) : (
                        <Text size="sm" c="dimmed">
                          Never
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td ta="right">
                      {key.role === 'owner' && user.role !== 'owner' ? null : (
                        <Button
                          size="xs"
                          variant="subtle"
                          color="red"
                          onClick={() => setRevoke(key)}
                          aria-label={`Revoke ${key.name}`}
                        >
                          Revoke
                        </Button>
                      )}
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
            <CopyableSecret value={created.key} what="key" testId="new-api-key" />
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
  const canWrite = useCan('secrets:write');
  const secrets = useQuery(queries.secrets());
  const requests = useQuery(queries.secretRequests());
  const putSecret = usePutSecret();
  const deleteSecret = useDeleteSecret();
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
      const result = await putSecret.mutateAsync({ name, value });
      notifications.show({
        color: 'teal',
        title: result.created ? 'Secret created' : 'Secret replaced',
        message: `${name} is set.`,
      });
      setName('');
      setValue('');
    } catch (err) {
      setError(toApiError(err).message);
    } finally {
      setSaving(false);
    }
  }

  async function doReplace(secret: Secret) {
    setBusy(true);
    try {
      await putSecret.mutateAsync({ name: secret.name, value: replacement });
      notifications.show({
        color: 'teal',
        title: 'Secret replaced',
        message: `${secret.name} has a new value.`,
      });
      setReplace(null);
      setReplacement('');
    } catch (err) {
      notifications.show({ color: 'red', title: 'Could not save', message: toApiError(err).message });
    } finally {
      setBusy(false);
    }
  }

  async function doRemove(secret: Secret) {
    setBusy(true);
    try {
      await deleteSecret.mutateAsync(secret.name);
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
      {canWrite ? null : (
        <Text size="sm" c="dimmed" mb="md">
          Setting and deleting secrets takes an admin.
        </Text>
      )}
      {requests.data && requests.data.items.length > 0 ? (
        <Alert color="blue" variant="light" mb="md" title="Requested by agents" data-testid="secret-requests">
          <Stack gap="xs">
            {requests.data.items.map((request) => (
              <Group key={request.id} justify="space-between" wrap="nowrap">
                <Text size="sm">
                  <Code>{request.name}</Code> — {request.purpose} · asked <TimeAgo iso={request.createdAt} />
                </Text>
                {canWrite ? (
                  <Button
                    size="xs"
                    variant="light"
                    onClick={() => setName(request.name)}
                    aria-label={`Set value of ${request.name}`}
                  >
                    Set value
                  </Button>
                ) : null}
              </Group>
            ))}
          </Stack>
        </Alert>
      ) : null}
      <form onSubmit={save} aria-label="Set a secret" hidden={!canWrite}>
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
                      {canWrite ? (
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
                      ) : null}
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

/** The current workspace: its name (owners rename it) and leaving it. */
function WorkspaceSettings() {
  const { workspace, user } = useSignedIn();
  const canRename = useCan('workspace:manage');
  const { signOut } = useSession();
  const router = useRouter();
  const [name, setName] = useState(workspace.name);
  const [saving, setSaving] = useState(false);
  const [confirmLeave, setConfirmLeave] = useState(false);
  const [leaving, setLeaving] = useState(false);

  async function rename(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!name.trim() || name.trim() === workspace.name) return;
    setSaving(true);
    try {
      await api.renameWorkspace(name.trim());
      // The name shows in the header and the switcher: reload the page's session and lists.
      window.location.reload();
    } catch (err) {
      notifications.show({ color: 'red', title: 'Could not rename', message: toApiError(err).message });
      setSaving(false);
    }
  }

  async function leave() {
    setLeaving(true);
    try {
      const { signedOut } = await api.leaveWorkspace(workspace.id);
      if (signedOut) {
        await signOut().catch(() => undefined);
        router.replace('/login');
      } else {
        window.location.assign('/');
      }
    } catch (err) {
      notifications.show({ color: 'red', title: 'Could not leave', message: toApiError(err).message });
      setLeaving(false);
      setConfirmLeave(false);
    }
  }

  return (
    <Card>
      <SectionTitle>Workspace</SectionTitle>
      {canRename ? (
        <form onSubmit={rename} aria-label="Rename the workspace">
          <Group align="flex-end" gap="xs" mb="md" wrap="wrap">
            <TextInput
              label="Name"
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              maxLength={100}
              style={{ flex: '1 1 12rem' }}
            />
            <Button
              type="submit"
              variant="default"
              loading={saving}
              disabled={!name.trim() || name.trim() === workspace.name}
            >
              Rename
            </Button>
          </Group>
        </form>
      ) : (
        <Text size="sm" mb="md">
          {workspace.name}
        </Text>
      )}
      <Text size="sm" c="dimmed" mb="sm">
        Switch between your workspaces, or create one, from the workspace menu in the header.
      </Text>
      <Button
        variant="subtle"
        color="red"
        leftSection={<IconDoorExit size={16} />}
        onClick={() => setConfirmLeave(true)}
      >
        Leave this workspace
      </Button>
      <Modal opened={confirmLeave} onClose={() => setConfirmLeave(false)} title={`Leave ${workspace.name}?`}>
        <Stack>
          <Text size="sm">
            You lose access at once; your API keys for it are revoked. Someone with the admin role can invite
            you again.
            {user.role === 'owner'
              ? ' A workspace keeps at least one owner: make someone else owner first.'
              : ''}
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirmLeave(false)}>
              Stay
            </Button>
            <Button color="red" loading={leaving} onClick={() => void leave()}>
              Leave
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Card>
  );
}
