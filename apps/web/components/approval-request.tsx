'use client';

import {
  Alert,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  NumberInput,
  Stack,
  Text,
  Textarea,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconClockPause } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import {
  type ApiError,
  type ApprovalCaps,
  type ApprovalEvidence,
  type InboxItem,
  type ResolveInboxBody,
  toApiError,
} from '@/lib/api';
import { shortId } from '@/lib/format';
import { InboxItemOrigin } from './inbox-item-origin';
import { queryKeys, useResolveInbox } from '@/lib/queries';
import { useCan } from '@/lib/session';
import { useNow } from '@/lib/use-now';
import { TimeAgo } from './ui';

/** What a refused answer means, in words: the 409s say the question is no longer open. */
export function resolveErrorMessage(error: ApiError): string {
  switch (error.code) {
    case 'INBOX_ITEM_RESOLVED':
      return 'Someone already answered this item; it is shown as it is now.';
    case 'APPROVAL_EXPIRED':
      return 'This approval request expired before it was answered; the run continued without it.';
    default:
      return error.message;
  }
}

/** The evidence of an approval item, read defensively (it comes from the engine, possibly older). */
export function approvalEvidence(item: Pick<InboxItem, 'evidence' | 'title'>): ApprovalEvidence {
  const e = item.evidence ?? {};
  const caps =
    typeof e.caps === 'object' && e.caps !== null ? (e.caps as Record<string, unknown>) : undefined;
  return {
    title: typeof e.title === 'string' ? e.title : item.title,
    details: typeof e.details === 'string' ? e.details : undefined,
    caps: caps
      ? {
          maxFetches: typeof caps.maxFetches === 'number' ? caps.maxFetches : undefined,
          hosts: Array.isArray(caps.hosts)
            ? caps.hosts.filter((h): h is string => typeof h === 'string')
            : undefined,
        }
      : undefined,
    expiresAt: typeof e.expiresAt === 'string' ? e.expiresAt : '',
    attempt: typeof e.attempt === 'number' ? e.attempt : 1,
    startedBy: startedByOf(e.startedBy),
  };
}

/** The engine stores who started the run as `{ kind, id }` (null for a schedule or a webhook). */
function startedByOf(value: unknown): ApprovalEvidence['startedBy'] {
  if (typeof value !== 'object' || value === null) return null;
  const { kind, id } = value as Record<string, unknown>;
  return (kind === 'user' || kind === 'api_key') && typeof id === 'string' ? { kind, id } : null;
}

/**
 * The caps granted on approval: at most what was requested (a lower fetch budget, a subset of the hosts);
 * undefined when nothing was requested.
 */
export function grantedCaps(
  requested: ApprovalCaps | undefined,
  choice: { maxFetches: number | undefined; hosts: string[] },
): ApprovalCaps | undefined {
  if (!requested) return undefined;
  const caps: ApprovalCaps = {};
  if (requested.maxFetches !== undefined) {
    caps.maxFetches = Math.max(0, Math.min(requested.maxFetches, choice.maxFetches ?? requested.maxFetches));
  }
  if (requested.hosts) caps.hosts = requested.hosts.filter((h) => choice.hosts.includes(h));
  return Object.keys(caps).length ? caps : undefined;
}

/** An `approval` inbox item: what the script asks to do, with the caps to grant, a comment and Approve / Reject. */
export function ApprovalRequest({ item, onResolved }: { item: InboxItem; onResolved: () => void }) {
  const evidence = approvalEvidence(item);
  const canResolve = useCan('inbox:resolve');
  const resolve = useResolveInbox();
  const client = useQueryClient();
  const now = useNow(15_000);
  const [maxFetches, setMaxFetches] = useState<number | undefined>(evidence.caps?.maxFetches);
  const [hosts, setHosts] = useState<string[]>(evidence.caps?.hosts ?? []);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<'approve' | 'reject' | null>(null);
  const expired =
    item.status === 'expired' || (evidence.expiresAt !== '' && Date.parse(evidence.expiresAt) <= now);
  const open = item.status === 'open' && !expired;
  const commentId = `approval-comment-${item.id}`;

  async function answer(action: 'approve' | 'reject') {
    setBusy(action);
    setError(null);
    const body: ResolveInboxBody = { action };
    if (comment.trim()) body.comment = comment.trim();
    const caps = action === 'approve' ? grantedCaps(evidence.caps, { maxFetches, hosts }) : undefined;
    if (caps) body.caps = caps;
    try {
      await resolve.mutateAsync({ id: item.id, body });
      notifications.show({
        color: action === 'approve' ? 'teal' : 'gray',
        title: action === 'approve' ? 'Approved' : 'Rejected',
        message: `${evidence.title} · run ${shortId(item.run.id)}`,
      });
      onResolved();
    } catch (err) {
      const apiError = toApiError(err);
      setError(resolveErrorMessage(apiError));
      if (apiError.status === 409) {
        notifications.show({
          color: 'orange',
          title: 'Not answered',
          message: resolveErrorMessage(apiError),
        });
        void client.invalidateQueries({ queryKey: queryKeys.inbox.all });
      }
    } finally {
      setBusy(null);
    }
  }

  return (
    <Card
      id={`item-${item.id}`}
      data-testid="inbox-item"
      data-kind={item.kind}
      data-run-id={item.run.id}
      data-item-id={item.id}
      data-status={expired && item.status === 'open' ? 'expired' : item.status}
      component="section"
      aria-label={`Approval request: ${evidence.title}`}
    >
      <Stack gap="sm">
        <Group justify="space-between" align="flex-start" gap="xs">
          <Group gap="xs" wrap="wrap">
            <Badge color="cyan" variant="light" leftSection={<IconClockPause size={12} />}>
              Approval
            </Badge>
            <Text fw={600} data-testid="approval-title">
              {evidence.title}
            </Text>
            {item.status !== 'open' || expired ? (
              <Badge color={expired ? 'gray' : 'teal'} variant="outline">
                {expired ? 'Expired' : 'Answered'}
              </Badge>
            ) : null}
          </Group>
          <TimeAgo iso={item.createdAt} size="xs" c="dimmed" />
        </Group>
        <InboxItemOrigin item={item}>
          <Text size="sm" c="dimmed">
            · attempt {evidence.attempt} · started by{' '}
            {evidence.startedBy
              ? `${evidence.startedBy.kind === 'user' ? 'user' : 'API key'} ${shortId(evidence.startedBy.id)}`
              : 'a schedule or a webhook'}
          </Text>
        </InboxItemOrigin>
        {evidence.details ? (
          <Text
            size="sm"
            style={{ overflowWrap: 'anywhere', whiteSpace: 'pre-wrap' }}
            data-testid="approval-details"
          >
            {evidence.details}
          </Text>
        ) : null}
        {evidence.expiresAt ? (
          <Text size="sm" c={expired ? 'red' : 'dimmed'} data-testid="approval-expires">
            {expired ? 'Expired' : 'Expires'} <TimeAgo iso={evidence.expiresAt} future size="sm" />
          </Text>
        ) : null}

        {evidence.caps && (evidence.caps.maxFetches !== undefined || evidence.caps.hosts?.length) ? (
          <Card withBorder padding="sm" radius="md" component="fieldset" disabled={!open || !canResolve}>
            <Text component="legend" size="sm" fw={600} px={4}>
              Requested capabilities
            </Text>
            <Text size="xs" c="dimmed" mb="xs">
              Approving grants these; you may grant less.
            </Text>
            <Stack gap="xs">
              {evidence.caps.maxFetches !== undefined ? (
                <NumberInput
                  label="Outgoing requests allowed"
                  description={`Requested: ${evidence.caps.maxFetches}`}
                  min={0}
                  max={evidence.caps.maxFetches}
                  clampBehavior="strict"
                  allowDecimal={false}
                  value={maxFetches}
                  onChange={(v) => setMaxFetches(typeof v === 'number' ? v : undefined)}
                  w={240}
                />
              ) : null}
              {evidence.caps.hosts?.length ? (
                <Checkbox.Group label="Hosts it may reach" value={hosts} onChange={setHosts}>
                  <Stack gap={4} mt={4}>
                    {evidence.caps.hosts.map((host) => (
                      <Checkbox key={host} value={host} label={host} />
                    ))}
                  </Stack>
                </Checkbox.Group>
              ) : null}
            </Stack>
          </Card>
        ) : null}

        {error ? (
          <Alert color="red" variant="light" role="alert">
            {error}
          </Alert>
        ) : null}

        {open && canResolve ? (
          <>
            <Textarea
              id={commentId}
              label="Comment (optional)"
              description="Kept with the answer, for whoever looks at this run later."
              value={comment}
              onChange={(e) => setComment(e.currentTarget.value)}
              autosize
              minRows={2}
              maxLength={2000}
            />
            <Group gap="xs">
              <Button
                color="teal"
                loading={busy === 'approve'}
                disabled={busy !== null}
                onClick={() => void answer('approve')}
                data-testid="approval-approve"
              >
                Approve
              </Button>
              <Button
                color="red"
                variant="light"
                loading={busy === 'reject'}
                disabled={busy !== null}
                onClick={() => void answer('reject')}
                data-testid="approval-reject"
              >
                Reject
              </Button>
            </Group>
          </>
        ) : open ? (
          <Text size="sm" c="dimmed">
            Waiting for an editor, admin or owner to answer.
          </Text>
        ) : item.resolution ? (
          <Text size="sm" c="dimmed">
            {item.resolution.action === 'approve'
              ? 'Approved'
              : item.resolution.action === 'reject'
                ? 'Rejected'
                : 'Resolved'}
            {item.resolution.by ? ` by user ${shortId(item.resolution.by)}` : ''}
            {item.resolution.comment ? ` — “${item.resolution.comment}”` : ''}
          </Text>
        ) : null}
      </Stack>
    </Card>
  );
}
