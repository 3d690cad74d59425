'use client';

import { Button, Center, Stack, Text, Title } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useEffect } from 'react';

/** Shown instead of a page that crashed while rendering; the navigation stays usable. */
export default function DashboardError({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  return (
    <Center py={80}>
      <Stack align="center" gap="sm" maw={480} ta="center" role="alert">
        <IconAlertTriangle size={40} color="var(--mantine-color-red-6)" />
        <Title order={2}>This page hit a problem</Title>
        <Text c="dimmed" size="sm">
          {error.message || 'An unexpected error happened while showing this page.'}
          {error.digest ? ` (reference ${error.digest})` : ''}
        </Text>
        <Button onClick={reset}>Try again</Button>
      </Stack>
    </Center>
  );
}
