'use client';

import { Anchor, Group, Text } from '@mantine/core';
import Link from 'next/link';
import type { ReactNode } from 'react';
import type { InboxItem } from '@/lib/api';
import { shortId } from '@/lib/format';

/** Where an inbox item comes from: its automation and run, linked, then whatever the card adds. */
export function InboxItemOrigin({ item, children }: { item: InboxItem; children?: ReactNode }) {
  return (
    <Group gap="xs" wrap="wrap">
      <Anchor component={Link} href={`/automations/${item.automation.id}`} size="sm">
        {item.automation.name}
      </Anchor>
      <Text size="sm" c="dimmed">
        ·
      </Text>
      <Anchor component={Link} href={`/runs/${item.run.id}`} size="sm" ff="monospace">
        run {shortId(item.run.id)}
      </Anchor>
      {children}
    </Group>
  );
}
