'use client';

import { Button, Center, Stack, Text, Title } from '@mantine/core';
import Link from 'next/link';

export default function NotFound() {
  return (
    <Center mih="100vh" p="md">
      <Stack align="center" gap="sm" ta="center">
        <Text fz={48} fw={800} c="dimmed">
          404
        </Text>
        <Title order={1} size="h3">
          There is no page here
        </Title>
        <Button component={Link} href="/">
          Go to the overview
        </Button>
      </Stack>
    </Center>
  );
}
