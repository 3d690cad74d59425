'use client';

import { Alert, Anchor, Text } from '@mantine/core';
import { IconClockPause } from '@tabler/icons-react';
import type { RunWaitingFor } from '@mendflow/contracts';
import Link from 'next/link';
import { formatAbsolute, formatRelative } from '@/lib/format';
import { WAITING_FOR_META } from '@/lib/status';
import { useNow } from '@/lib/use-now';

/** Where an approval request is answered: its inbox item. */
export function inboxItemHref(inboxItemId: string): string {
  return `/inbox#item-${inboxItemId}`;
}

/** One line: "Waiting for a slot: 2 ahead (limit 2)", "Waiting for approval: … — expires in 5 min", "Sleeping until …". */
export function waitingForText(waitingFor: RunWaitingFor, now: number): string {
  switch (waitingFor.kind) {
    case 'slot':
      return `${WAITING_FOR_META.slot.label}: ${waitingFor.ahead} ahead (limit ${waitingFor.limit})${
        waitingFor.key ? ` for key “${waitingFor.key}”` : ''
      }`;
    case 'approval':
      return `${WAITING_FOR_META.approval.label}: ${waitingFor.title} — ${
        Date.parse(waitingFor.expiresAt) > now ? 'expires' : 'expired'
      } ${formatRelative(waitingFor.expiresAt, now)}`;
    case 'sleep':
      return `${WAITING_FOR_META.sleep.label} until ${formatAbsolute(waitingFor.until)} (${formatRelative(waitingFor.until, now)})`;
  }
}

/** What a resting run waits for, as a short line (runs list) or a callout (run page). */
export function WaitingForLine({
  waitingFor,
  compact = false,
}: {
  waitingFor: RunWaitingFor | null | undefined;
  compact?: boolean;
}) {
  const now = useNow(15_000);
  if (!waitingFor) return null;
  const text = waitingForText(waitingFor, now);
  const link =
    waitingFor.kind === 'approval' ? (
      <Anchor
        component={Link}
        href={inboxItemHref(waitingFor.inboxItemId)}
        size={compact ? 'xs' : 'sm'}
        fw={600}
      >
        {compact ? 'Answer' : 'Approve or reject it in the inbox →'}
      </Anchor>
    ) : null;
  if (compact) {
    return (
      <Text size="xs" c="dimmed" data-testid="waiting-for" data-kind={waitingFor.kind} mt={4}>
        {text}
        {link ? <> · {link}</> : null}
      </Text>
    );
  }
  return (
    <Alert
      color={WAITING_FOR_META[waitingFor.kind].color}
      variant="light"
      mb="lg"
      icon={<IconClockPause size={20} />}
      title={WAITING_FOR_META[waitingFor.kind].label}
      data-testid="waiting-for"
      data-kind={waitingFor.kind}
    >
      <Text size="sm">{text}</Text>
      {link}
    </Alert>
  );
}
