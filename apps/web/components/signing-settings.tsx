'use client';

import {
  ActionIcon,
  Alert,
  Button,
  Card,
  Group,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconTrash } from '@tabler/icons-react';
import type { TrustedPublisher } from '@mendflow/contracts';
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { type ApiError, toApiError } from '@/lib/api';
import { queries, useAddTrustedPublisher, useRemoveTrustedPublisher } from '@/lib/queries';
import { useCan } from '@/lib/session';
import { CopyableSecret } from './copyable-secret';
import { ConfirmModal, EmptyState, LoadingState, QueryView, SectionTitle, TimeAgo } from './ui';

/**
 * The workspace's bundle-signing public key (to hand to workspaces that import its bundles) and the
 * publisher keys whose bundles this workspace imports (docs/bundles.md). Admins change the list.
 */
export function SigningSettings() {
  const canManage = useCan('publishers:manage');
  return (
    <Card data-testid="signing-settings">
      <SectionTitle>Signing key & trusted publishers</SectionTitle>
      <Text size="sm" c="dimmed" mb="md">
        Exported bundles are signed with this workspace&apos;s Ed25519 key. Another workspace imports them
        once it trusts this public key; this workspace imports bundles signed by its own key or a trusted
        publisher&apos;s.
      </Text>
      <OwnKey />
      <Text fw={600} size="sm" mt="lg" mb="xs">
        Trusted publishers
      </Text>
      <Publishers canManage={canManage} />
      {canManage ? <TrustForm /> : null}
    </Card>
  );
}

function OwnKey() {
  const key = useQuery(queries.signingKey());
  if (key.isPending) return <LoadingState rows={2} />;
  if (key.error)
    return (
      <Alert color="red" variant="light" title="Could not load the signing key">
        {key.error.message}
      </Alert>
    );
  return (
    <Stack gap="xs">
      <Text size="sm">Public key (base64 SPKI)</Text>
      <CopyableSecret value={key.data.publicKey} what="public key" testId="signing-public-key" />
      <Text size="sm">Fingerprint (SHA-256)</Text>
      <CopyableSecret value={key.data.fingerprint} what="fingerprint" testId="signing-fingerprint" />
    </Stack>
  );
}

function Publishers({ canManage }: { canManage: boolean }) {
  const publishers = useQuery(queries.trustedPublishers());
  const remove = useRemoveTrustedPublisher();
  const [removing, setRemoving] = useState<TrustedPublisher | null>(null);
  return (
    <>
      <QueryView
        query={publishers}
        errorTitle="Could not load trusted publishers"
        loading={<LoadingState rows={2} />}
        empty={
          <EmptyState title="No trusted publishers">
            Only bundles exported from this workspace can be imported here.
          </EmptyState>
        }
      >
        {(data) => (
          <Table.ScrollContainer minWidth={420}>
            <Table aria-label="Trusted publishers" data-testid="trusted-publishers" mb="md">
              <Table.Tbody>
                {data.items.map((publisher) => (
                  <Table.Tr key={publisher.id}>
                    <Table.Td>
                      <Text size="sm" fw={600}>
                        {publisher.name}
                      </Text>
                      <Text size="xs" c="dimmed" ff="monospace" style={{ wordBreak: 'break-all' }}>
                        {publisher.fingerprint}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="xs" c="dimmed">
                        trusted <TimeAgo iso={publisher.createdAt} size="xs" />
                      </Text>
                    </Table.Td>
                    <Table.Td ta="right">
                      {canManage ? (
                        <Tooltip label="Stop trusting">
                          <ActionIcon
                            variant="subtle"
                            color="red"
                            aria-label={`Stop trusting ${publisher.name}`}
                            onClick={() => setRemoving(publisher)}
                          >
                            <IconTrash size={16} />
                          </ActionIcon>
                        </Tooltip>
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
        title="Stop trusting this publisher?"
        confirmLabel="Stop trusting"
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
                title: 'Could not remove',
                message: toApiError(err).message,
              }),
            )
        }
      >
        Bundles signed by {removing?.name}&apos;s key are refused from now on; automations already imported
        stay.
      </ConfirmModal>
    </>
  );
}

function TrustForm() {
  const [name, setName] = useState('');
  const [publicKey, setPublicKey] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const add = useAddTrustedPublisher();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setError(null);
    try {
      const added = await add.mutateAsync({ name: name.trim(), publicKey: publicKey.trim() });
      notifications.show({
        color: 'teal',
        title: 'Publisher trusted',
        message: `${added.name} (${added.fingerprint})`,
      });
      setName('');
      setPublicKey('');
    } catch (err) {
      setError(toApiError(err));
    }
  }

  return (
    <form onSubmit={submit} noValidate data-testid="trust-publisher-form">
      <Stack gap="sm">
        <TextInput
          label="Publisher name"
          required
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          maxLength={100}
        />
        <Textarea
          label="Public key"
          description="The publisher's public key as its Settings show it (base64), or a PEM block."
          required
          autosize
          minRows={2}
          value={publicKey}
          onChange={(e) => setPublicKey(e.currentTarget.value)}
          spellCheck={false}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }}
        />
        {error ? (
          <Alert color="red" variant="light" role="alert">
            {error.message}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button type="submit" loading={add.isPending} disabled={!name.trim() || !publicKey.trim()}>
            Trust publisher
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
