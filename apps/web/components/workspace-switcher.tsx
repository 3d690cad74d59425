'use client';

import { Badge, Button, Group, Menu, Modal, Stack, Text, TextInput, UnstyledButton } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconCheck, IconChevronDown, IconPlus } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { api, toApiError } from '@/lib/api';
import { useSignedIn } from '@/lib/session';
import { queries } from '@/lib/queries';
import { useQuery } from '@tanstack/react-query';
import { ROLE_LABEL } from './members-section';

/** Opens the dashboard afresh in the workspace the session switched to (lists and live updates included). */
function reopen(): void {
  window.location.assign('/');
}

/** The header's workspace menu: the current one, the user's others to switch to, and a new one. */
export function WorkspaceSwitcher() {
  const { workspace } = useSignedIn();
  const workspaces = useQuery(queries.workspaces());
  const [switching, setSwitching] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState('');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function switchTo(id: string) {
    if (id === workspace.id) return;
    setSwitching(id);
    try {
      await api.switchWorkspace(id);
      reopen();
    } catch (err) {
      setSwitching(null);
      notifications.show({ color: 'red', title: 'Could not switch', message: toApiError(err).message });
    }
  }

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!name.trim()) return;
    setSaving(true);
    setError(null);
    try {
      const created = await api.createWorkspace(name.trim());
      await api.switchWorkspace(created.id);
      reopen();
    } catch (err) {
      setError(toApiError(err).message);
      setSaving(false);
    }
  }

  const items = workspaces.data?.items ?? [];
  return (
    <>
      <Menu position="bottom-start" width={280} shadow="md">
        <Menu.Target>
          <UnstyledButton
            aria-label={`Workspace: ${workspace.name}. Switch workspace`}
            data-testid="workspace-switcher"
            px="xs"
            py={4}
            style={{
              borderRadius: 'var(--mantine-radius-md)',
              border: '1px solid var(--mantine-color-default-border)',
            }}
          >
            <Group gap={6} wrap="nowrap">
              <Text size="sm" fw={500} truncate maw={{ base: 110, sm: 220 }}>
                {workspace.name}
              </Text>
              <IconChevronDown size={14} />
            </Group>
          </UnstyledButton>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Label>Your workspaces</Menu.Label>
          {workspaces.error ? (
            <Menu.Item disabled>
              <Text size="sm" c="red">
                Could not load workspaces
              </Text>
            </Menu.Item>
          ) : workspaces.isPending ? (
            <Menu.Item disabled>Loading…</Menu.Item>
          ) : (
            items.map((w) => (
              <Menu.Item
                key={w.id}
                onClick={() => void switchTo(w.id)}
                disabled={switching !== null}
                leftSection={w.current ? <IconCheck size={16} /> : <span style={{ width: 16 }} />}
                rightSection={
                  w.role ? (
                    <Badge size="xs" variant="light" color="gray">
                      {ROLE_LABEL[w.role]}
                    </Badge>
                  ) : null
                }
                data-testid="workspace-option"
                aria-current={w.current ? 'true' : undefined}
              >
                <Text size="sm" truncate>
                  {switching === w.id ? `Opening ${w.name}…` : w.name}
                </Text>
              </Menu.Item>
            ))
          )}
          <Menu.Divider />
          <Menu.Item leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)}>
            Create a workspace
          </Menu.Item>
        </Menu.Dropdown>
      </Menu>

      <Modal opened={creating} onClose={() => setCreating(false)} title="Create a workspace">
        <form onSubmit={create} aria-label="Create a workspace">
          <Stack>
            <Text size="sm" c="dimmed">
              A separate space with its own automations, runs, secrets and members. You will be its owner.
            </Text>
            <TextInput
              label="Name"
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              maxLength={100}
              data-autofocus
              error={error ?? undefined}
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setCreating(false)}>
                Cancel
              </Button>
              <Button type="submit" loading={saving} disabled={!name.trim()}>
                Create and open
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
