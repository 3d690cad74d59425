'use client';

import {
  ActionIcon,
  AppShell,
  Avatar,
  Badge,
  Box,
  Burger,
  Center,
  Group,
  Loader,
  Menu,
  NavLink,
  ScrollArea,
  Stack,
  Text,
  Tooltip,
  UnstyledButton,
  useComputedColorScheme,
  useMantineColorScheme,
} from '@mantine/core';
import { useDisclosure, useMediaQuery } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import {
  IconBolt,
  IconHistory,
  IconInbox,
  IconKey,
  IconLayoutDashboard,
  IconListDetails,
  IconLogout,
  IconMoon,
  IconSettings,
  IconSun,
} from '@tabler/icons-react';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { useEffect, type ReactNode } from 'react';
import type { Permission } from '@/lib/api';
import { type LiveMessage, useLiveConnection } from '@/lib/live';
import { useLiveCache } from '@/lib/live-cache';
import { queries } from '@/lib/queries';
import { useQuery } from '@tanstack/react-query';
import { useSession } from '@/lib/session';
import { ErrorState } from './ui';
import { Logo } from './logo';
import { WorkspaceSwitcher } from './workspace-switcher';

const NAV: { href: string; label: string; icon: typeof IconBolt; permission?: Permission }[] = [
  { href: '/', label: 'Overview', icon: IconLayoutDashboard },
  { href: '/automations', label: 'Automations', icon: IconBolt },
  { href: '/runs', label: 'Runs', icon: IconListDetails },
  { href: '/inbox', label: 'Inbox', icon: IconInbox },
  { href: '/audit', label: 'Audit log', icon: IconHistory, permission: 'audit:read' },
  { href: '/settings', label: 'Settings', icon: IconSettings },
];

function isActive(pathname: string, href: string): boolean {
  return href === '/' ? pathname === '/' : pathname === href || pathname.startsWith(`${href}/`);
}

/** Every signed-in page: header, navigation (a drawer behind a burger on phones), live updates. */
export function DashboardShell({ children }: { children: ReactNode }) {
  const { state, refresh } = useSession();
  const router = useRouter();
  const pathname = usePathname();

  useEffect(() => {
    if (state.status === 'signed-out') {
      const next = pathname && pathname !== '/' ? `?next=${encodeURIComponent(pathname)}` : '';
      router.replace(`/login${next}`);
    }
  }, [state.status, pathname, router]);

  if (state.status === 'error') {
    return (
      <Center mih="100vh" p="md">
        <Box maw={480} w="100%">
          <ErrorState error={state.error} title="Could not reach Mendflow" onRetry={refresh} />
        </Box>
      </Center>
    );
  }
  if (state.status !== 'signed-in') {
    return (
      <Center mih="100vh" role="status" aria-label="Loading">
        <Loader />
      </Center>
    );
  }
  return <SignedInShell>{children}</SignedInShell>;
}

function SignedInShell({ children }: { children: ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure(false);
  // Below the sm breakpoint the navigation is a drawer; while closed it is out of the tab order.
  const mobile = useMediaQuery('(max-width: 47.99em)');
  const pathname = usePathname();
  const { state, signOut } = useSession();
  const router = useRouter();
  const session = state.status === 'signed-in' ? state.session : null;

  const openInbox = useQuery(queries.inbox({ status: 'open', limit: 200 }));
  const openCount = openInbox.data?.items.length ?? 0;

  // Workspace-wide live messages keep the cache current (live-cache.ts) and announce new inbox items.
  useLiveCache((message: LiveMessage) => {
    if (message.name !== 'inbox.item') return;
    const title = typeof message.payload.title === 'string' ? message.payload.title : 'A run needs a person';
    notifications.show({
      id: `inbox-${message.payload.id}`,
      color: 'orange',
      title: message.payload.kind === 'approval' ? 'Approval requested' : 'Action needed',
      message: title,
      autoClose: 6000,
    });
  });

  useEffect(() => {
    close();
  }, [pathname, close]);

  return (
    <AppShell
      header={{ height: 60 }}
      navbar={{ width: 232, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding={{ base: 'md', sm: 'lg' }}
    >
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label="Toggle navigation"
            />
            <UnstyledButton component={Link} href="/" aria-label="Mendflow overview">
              {/* On phones the mark alone, so the workspace menu fits beside it. */}
              <Box visibleFrom="sm">
                <Logo />
              </Box>
              <Box hiddenFrom="sm">
                <Logo withText={false} />
              </Box>
            </UnstyledButton>
            <WorkspaceSwitcher />
          </Group>
          <Group gap="xs" wrap="nowrap">
            <LiveIndicator />
            <ColorSchemeToggle />
            <Menu position="bottom-end" width={240} shadow="md">
              <Menu.Target>
                <UnstyledButton aria-label="Account menu" data-testid="account-menu">
                  <Avatar color="mend" radius="xl" size={34}>
                    {session?.user.email.slice(0, 1).toUpperCase()}
                  </Avatar>
                </UnstyledButton>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>
                  <Text size="sm" fw={600} c="var(--mantine-color-text)" truncate>
                    {session?.user.email}
                  </Text>
                  <Text size="xs" c="dimmed" truncate>
                    {session?.workspace.name} · {session?.user.role}
                  </Text>
                </Menu.Label>
                <Menu.Divider />
                <Menu.Item component={Link} href="/settings" leftSection={<IconKey size={16} />}>
                  Members, API keys and secrets
                </Menu.Item>
                <Menu.Item
                  color="red"
                  leftSection={<IconLogout size={16} />}
                  onClick={() => {
                    void signOut().then(() => router.replace('/login'));
                  }}
                >
                  Sign out
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>

      <AppShell.Navbar p="sm" aria-label="Main navigation" inert={mobile && !opened}>
        <AppShell.Section grow component={ScrollArea}>
          <Stack gap={4} component="nav" aria-label="Main">
            {NAV.filter((item) => !item.permission || session?.permissions.includes(item.permission)).map(
              (item) => {
                const active = isActive(pathname, item.href);
                return (
                  <NavLink
                    key={item.href}
                    component={Link}
                    href={item.href}
                    label={item.label}
                    active={active}
                    aria-current={active ? 'page' : undefined}
                    leftSection={<item.icon size={18} stroke={1.7} />}
                    rightSection={
                      item.href === '/inbox' && openCount > 0 ? (
                        <Badge
                          size="sm"
                          color="orange"
                          variant="filled"
                          circle={openCount < 10}
                          data-testid="inbox-count"
                          aria-label={`${openCount} open`}
                        >
                          {openCount > 99 ? '99+' : openCount}
                        </Badge>
                      ) : null
                    }
                    style={{ borderRadius: 'var(--mantine-radius-md)' }}
                  />
                );
              },
            )}
          </Stack>
        </AppShell.Section>
        <AppShell.Section>
          <Text size="xs" c="dimmed" px="sm" py="xs" truncate>
            {session?.workspace.name}
          </Text>
        </AppShell.Section>
      </AppShell.Navbar>

      <AppShell.Main id="main" tabIndex={-1} style={{ outline: 'none' }}>
        <Box maw={1320} mx="auto">
          {children}
        </Box>
      </AppShell.Main>
    </AppShell>
  );
}

function LiveIndicator() {
  const connection = useLiveConnection();
  const live = connection === 'connected';
  const label = live
    ? 'Live: updates arrive as they happen'
    : connection === 'reconnecting'
      ? 'Reconnecting to live updates…'
      : 'Connecting to live updates…';
  return (
    <Tooltip label={label}>
      <Badge
        variant="dot"
        color={live ? 'teal' : 'yellow'}
        size="lg"
        data-testid="live-indicator"
        data-state={connection}
        styles={{ root: { textTransform: 'none', fontWeight: 500 } }}
        visibleFrom="xs"
      >
        {live ? 'Live' : 'Connecting'}
      </Badge>
    </Tooltip>
  );
}

function ColorSchemeToggle() {
  const { setColorScheme } = useMantineColorScheme();
  const computed = useComputedColorScheme('light', { getInitialValueInEffect: true });
  const dark = computed === 'dark';
  return (
    <Tooltip label={dark ? 'Light theme' : 'Dark theme'}>
      <ActionIcon
        variant="default"
        size="lg"
        radius="md"
        aria-label={dark ? 'Switch to light theme' : 'Switch to dark theme'}
        onClick={() => setColorScheme(dark ? 'light' : 'dark')}
      >
        {dark ? <IconSun size={18} /> : <IconMoon size={18} />}
      </ActionIcon>
    </Tooltip>
  );
}
