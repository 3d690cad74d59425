'use client';

import { Badge, Group, Stack, Text } from '@mantine/core';
import { countChanges } from '@/lib/diff';
import { CodeBlock } from './ui';

/** A unified diff, highlighted, with its +/− line counts. */
export function DiffView({ diff, label, maxHeight }: { diff: string; label?: string; maxHeight?: number }) {
  if (!diff.trim()) {
    return (
      <Text size="sm" c="dimmed">
        No changes.
      </Text>
    );
  }
  const { added, removed } = countChanges(diff);
  return (
    <Stack gap={6} data-testid="diff">
      <Group gap={6}>
        {label ? (
          <Text size="xs" c="dimmed" fw={600}>
            {label}
          </Text>
        ) : null}
        <Badge size="xs" color="teal" variant="light">
          +{added}
        </Badge>
        <Badge size="xs" color="red" variant="light">
          −{removed}
        </Badge>
      </Group>
      <CodeBlock code={diff} language="diff" maxHeight={maxHeight} />
    </Stack>
  );
}
