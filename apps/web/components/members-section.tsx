'use client';

import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Card,
  Group,
  Modal,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconLock, IconMailPlus, IconUserMinus } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import {
  type CreatedInvitation,
  type Invitation,
  type Member,
  type Role,
  ROLES,
  toApiError,
} from '@/lib/api';
import { useCan, useSignedIn } from '@/lib/session';
import { queries, useChangeMemberRole, useInvite, useRemoveMember, useRevokeInvitation } from '@/lib/queries';
import { useQuery } from '@tanstack/react-query';
import { EmptyState, LoadingState, QueryView, SectionTitle, TimeAgo } from './ui';
import { CopyableSecret } from './copyable-secret';

export const ROLE_LABEL: Record<Role, string> = {
  owner: 'Owner',
  admin: 'Admin',
  editor: 'Editor',
  viewer: 'Viewer',
};

const ROLE_HELP: Record<Role, string> = {
  owner: 'Everything, including owners and the workspace itself',
  admin: 'Members, API keys, secrets and the audit log, besides editing',
  editor: 'Write automations, run, cancel and retry, resolve the inbox',
  viewer: 'Read everything, change nothing',
};

const ROLE_COLOR: Record<Role, string> = { owner: 'grape', admin: 'blue', editor: 'teal', viewer: 'gray' };

const EXPIRY = [
  { value: '24', label: '1 day' },
  { value: '168', label: '7 days' },
  { value: '720', label: '30 days' },
];

/** An owner grants any role; an admin any but owner (the API enforces the same). */
function grantable(me: Role): Role[] {
  if (me === 'owner') return [...ROLES];
  return me === 'admin' ? ROLES.filter((r) => r !== 'owner') : [];
}

function mayManage(me: Role, target: Role): boolean {
  if (me !== 'owner' && me !== 'admin') return false;
  return target !== 'owner' || me === 'owner';
}

export function RoleBadge({ role }: { role: Role }) {
  return (
    <Tooltip label={ROLE_HELP[role]}>
      <Badge color={ROLE_COLOR[role]} variant="light" data-testid="role-badge" data-role={role}>
        {ROLE_LABEL[role]}
      </Badge>
    </Tooltip>
  );
}

/** Members of the workspace with their roles, and (for admins and owners) invitations. */
export function MembersSection() {
  const { user } = useSignedIn();
  const canManage = useCan('members:manage');
  const members = useQuery(queries.members());
  const changeMemberRole = useChangeMemberRole();
  const removeMember = useRemoveMember();
  const [remove, setRemove] = useState<Member | null>(null);
  const [busy, setBusy] = useState(false);

  async function changeRole(member: Member, role: Role) {
    try {
      await changeMemberRole.mutateAsync({ userId: member.userId, role });
      notifications.show({
        color: 'teal',
        title: 'Role changed',
        message: `${member.email} is now ${ROLE_LABEL[role].toLowerCase()}.`,
      });
    } catch (err) {
      notifications.show({
        color: 'red',
        title: 'Could not change the role',
        message: toApiError(err).message,
      });
    }
  }

  async function doRemove(member: Member) {
    setBusy(true);
    try {
      await removeMember.mutateAsync(member.userId);
      notifications.show({
        color: 'gray',
        title: 'Member removed',
        message: `${member.email} no longer has access.`,
      });
      setRemove(null);
    } catch (err) {
      notifications.show({ color: 'red', title: 'Could not remove', message: toApiError(err).message });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card>
      <SectionTitle>Members</SectionTitle>
      <Text size="sm" c="dimmed" mb="md">
        Everyone in this workspace and what they may do. {canManage ? 'Invite people by email below.' : null}
      </Text>
      <QueryView
        query={members}
        errorTitle="Could not load members"
        loading={<LoadingState rows={3} />}
        empty={<EmptyState title="No members">Invite someone to get started.</EmptyState>}
      >
        {(data) => (
          <Table.ScrollContainer minWidth={520}>
            <Table aria-label="Members" data-testid="members">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Email</Table.Th>
                  <Table.Th>Role</Table.Th>
                  <Table.Th>Joined</Table.Th>
                  <Table.Th>
                    <span className="visually-hidden">Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.items.map((member) => {
                  const editable = canManage && mayManage(user.role, member.role);
                  return (
                    <Table.Tr key={member.userId} data-testid="member-row" data-email={member.email}>
                      <Table.Td fw={500}>
                        <Group gap={6} wrap="nowrap">
                          <Text size="sm" truncate>
                            {member.email}
                          </Text>
                          {member.you ? (
                            <Badge size="xs" variant="outline">
                              You
                            </Badge>
                          ) : null}
                        </Group>
                      </Table.Td>
                      <Table.Td>
                        {editable ? (
                          <Select
                            size="xs"
                            w={130}
                            aria-label={`Role of ${member.email}`}
                            value={member.role}
                            allowDeselect={false}
                            data={grantable(user.role).map((role) => ({
                              value: role,
                              label: ROLE_LABEL[role],
                            }))}
                            onChange={(value) =>
                              value && value !== member.role && void changeRole(member, value as Role)
                            }
                          />
                        ) : (
                          <RoleBadge role={member.role} />
                        )}
                      </Table.Td>
                      <Table.Td>
                        <TimeAgo iso={member.joinedAt} />
                      </Table.Td>
                      <Table.Td ta="right">
                        {editable && !member.you ? (
                          <Tooltip label={`Remove ${member.email}`}>
                            <ActionIcon
                              variant="subtle"
                              color="red"
                              onClick={() => setRemove(member)}
                              aria-label={`Remove ${member.email}`}
                            >
                              <IconUserMinus size={16} />
                            </ActionIcon>
                          </Tooltip>
                        ) : null}
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryView>

      {canManage ? <Invitations /> : null}

      <Modal
        opened={remove !== null}
        onClose={() => setRemove(null)}
        title={`Remove ${remove?.email ?? ''}?`}
      >
        <Stack>
          <Text size="sm">
            They lose access to this workspace at once: their sessions here end and their API keys for it are
            revoked. Their past work and audit entries stay.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRemove(null)}>
              Keep them
            </Button>
            <Button color="red" loading={busy} onClick={() => remove && void doRemove(remove)}>
              Remove
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Card>
  );
}

function Invitations() {
  const { user } = useSignedIn();
  const invitations = useQuery(queries.invitations());
  const inviteMutation = useInvite();
  const revokeInvitation = useRevokeInvitation();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('editor');
  const [hours, setHours] = useState('168');
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedInvitation | null>(null);
  const link =
    created && typeof window !== 'undefined' ? `${window.location.origin}${created.acceptPath}` : '';

  async function invite(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!email.trim()) return;
    setSending(true);
    setError(null);
    try {
      const invitation = await inviteMutation.mutateAsync({
        email: email.trim(),
        role,
        expiresInHours: Number(hours),
      });
      setCreated(invitation);
      setEmail('');
    } catch (err) {
      setError(toApiError(err).message);
    } finally {
      setSending(false);
    }
  }

  async function withdraw(invitation: Invitation) {
    try {
      await revokeInvitation.mutateAsync(invitation.id);
      notifications.show({
        color: 'gray',
        title: 'Invitation withdrawn',
        message: `The link for ${invitation.email} stops working.`,
      });
    } catch (err) {
      notifications.show({ color: 'red', title: 'Could not withdraw', message: toApiError(err).message });
    }
  }

  return (
    <Stack gap="sm" mt="xl">
      <Title3>Invite someone</Title3>
      <form onSubmit={invite} aria-label="Invite a member">
        <Group align="flex-end" gap="xs" wrap="wrap">
          <TextInput
            label="Email"
            type="email"
            placeholder="name@example.com"
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            style={{ flex: '2 1 14rem' }}
            maxLength={320}
          />
          <Select
            label="Role"
            value={role}
            allowDeselect={false}
            onChange={(value) => value && setRole(value as Role)}
            data={grantable(user.role).map((r) => ({ value: r, label: ROLE_LABEL[r] }))}
            w={130}
          />
          <Select
            label="Link valid for"
            value={hours}
            allowDeselect={false}
            onChange={(value) => value && setHours(value)}
            data={EXPIRY}
            w={130}
          />
          <Button
            type="submit"
            loading={sending}
            disabled={!email.trim()}
            leftSection={<IconMailPlus size={16} />}
          >
            Invite
          </Button>
        </Group>
      </form>
      <Text size="xs" c="dimmed">
        {ROLE_LABEL[role]}: {ROLE_HELP[role].toLowerCase()}. No email is sent: you get a link to pass on.
      </Text>
      {error ? (
        <Alert color="red" variant="light" role="alert">
          {error}
        </Alert>
      ) : null}

      <QueryView
        query={invitations}
        errorTitle="Could not load invitations"
        loading={<LoadingState rows={2} />}
        empty={
          <Text size="sm" c="dimmed">
            No open invitations.
          </Text>
        }
      >
        {(data) => (
          <Table.ScrollContainer minWidth={520}>
            <Table aria-label="Open invitations" data-testid="invitations">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Invited</Table.Th>
                  <Table.Th>Role</Table.Th>
                  <Table.Th>Expires</Table.Th>
                  <Table.Th>
                    <span className="visually-hidden">Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.items.map((invitation) => (
                  <Table.Tr key={invitation.id} data-testid="invitation-row">
                    <Table.Td>
                      <Text size="sm" fw={500}>
                        {invitation.email}
                      </Text>
                      {invitation.invitedBy ? (
                        <Text size="xs" c="dimmed">
                          by {invitation.invitedBy.email}
                        </Text>
                      ) : null}
                    </Table.Td>
                    <Table.Td>
                      <RoleBadge role={invitation.role} />
                    </Table.Td>
                    <Table.Td>
                      {invitation.state === 'expired' ? (
                        <Badge color="orange" variant="light">
                          Expired
                        </Badge>
                      ) : (
                        <TimeAgo iso={invitation.expiresAt} future />
                      )}
                    </Table.Td>
                    <Table.Td ta="right">
                      <Button
                        size="xs"
                        variant="subtle"
                        color="red"
                        onClick={() => void withdraw(invitation)}
                      >
                        Withdraw
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryView>

      <Modal opened={created !== null} onClose={() => setCreated(null)} title="Invitation link" size="lg">
        {created ? (
          <Stack>
            <Alert color="yellow" variant="light" icon={<IconLock size={18} />}>
              Send this link to {created.email}. It is shown only once, works once, and expires{' '}
              <TimeAgo iso={created.expiresAt} future />.
            </Alert>
            <CopyableSecret value={link} what="link" testId="invitation-link" />
            <Group justify="flex-end">
              <Button onClick={() => setCreated(null)}>Done</Button>
            </Group>
          </Stack>
        ) : null}
      </Modal>
    </Stack>
  );
}

function Title3({ children }: { children: string }) {
  return (
    <Text fw={600} size="sm">
      {children}
    </Text>
  );
}
