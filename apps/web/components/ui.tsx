'use client';

import { CodeHighlight } from '@mantine/code-highlight';
import {
  Alert,
  Badge,
  Box,
  Button,
  Center,
  Group,
  Modal,
  Paper,
  Skeleton,
  Stack,
  Text,
  ThemeIcon,
  Title,
  Tooltip,
} from '@mantine/core';
import { IconAlertTriangle, IconRefresh, IconRobot, IconUser } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import type { ApiError, VersionAuthor } from '@/lib/api';
import { formatAbsolute, formatRelative, prettyJson, shortId } from '@/lib/format';
import { failureClassMeta, runStatusMeta } from '@/lib/status';
import { useNow } from '@/lib/use-now';

export function PageHeader({
  title,
  description,
  actions,
  badge,
  eyebrow,
}: {
  title: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
  badge?: ReactNode;
  eyebrow?: ReactNode;
}) {
  return (
    <Group justify="space-between" align="flex-start" gap="md" mb="lg" wrap="wrap">
      <Stack gap={4} style={{ minWidth: 0, flex: '1 1 20rem' }}>
        {eyebrow}
        <Group gap="sm" align="center" wrap="wrap">
          <Title order={1} fz={{ base: 24, sm: 28 }} style={{ overflowWrap: 'anywhere' }}>
            {title}
          </Title>
          {badge}
        </Group>
        {description ? (
          <Text c="dimmed" size="sm" maw={720}>
            {description}
          </Text>
        ) : null}
      </Stack>
      {actions ? (
        <Group gap="xs" wrap="wrap">
          {actions}
        </Group>
      ) : null}
    </Group>
  );
}

export function LoadingState({ label = 'Loading…', rows = 4 }: { label?: string; rows?: number }) {
  return (
    <Stack gap="sm" role="status" aria-live="polite" aria-label={label}>
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={i} height={i === 0 ? 28 : 44} radius="md" width={i === 0 ? '40%' : '100%'} />
      ))}
      <Text className="visually-hidden" size="xs">
        {label}
      </Text>
    </Stack>
  );
}

export function ErrorState({
  error,
  title = 'Something went wrong',
  onRetry,
}: {
  error: ApiError | Error;
  title?: string;
  onRetry?: () => void;
}) {
  const code = 'code' in error ? (error as ApiError).code : undefined;
  return (
    <Alert color="red" variant="light" icon={<IconAlertTriangle size={20} />} title={title} role="alert">
      <Stack gap="sm" align="flex-start">
        <Text size="sm">
          {error.message}
          {code ? (
            <Text span c="dimmed" size="xs" ff="monospace">
              {' '}
              ({code})
            </Text>
          ) : null}
        </Text>
        {onRetry ? (
          <Button
            size="xs"
            variant="white"
            color="red"
            leftSection={<IconRefresh size={14} />}
            onClick={onRetry}
          >
            Try again
          </Button>
        ) : null}
      </Stack>
    </Alert>
  );
}

export function EmptyState({
  icon,
  title,
  children,
  action,
}: {
  icon?: ReactNode;
  title: string;
  children?: ReactNode;
  action?: ReactNode;
}) {
  return (
    <Paper withBorder p="xl" radius="md" style={{ borderStyle: 'dashed' }}>
      <Center>
        <Stack align="center" gap="xs" maw={460} ta="center">
          {icon ? (
            <ThemeIcon size={44} radius="xl" variant="light">
              {icon}
            </ThemeIcon>
          ) : null}
          <Text fw={600}>{title}</Text>
          {children ? (
            <Text size="sm" c="dimmed">
              {children}
            </Text>
          ) : null}
          {action ? <Box mt="xs">{action}</Box> : null}
        </Stack>
      </Center>
    </Paper>
  );
}

export function RunStatusBadge({
  status,
  size = 'md',
  testId = 'run-status-badge',
}: {
  status: string;
  size?: 'xs' | 'sm' | 'md' | 'lg';
  testId?: string;
}) {
  const meta = runStatusMeta(status);
  return (
    <Tooltip label={meta.description} disabled={!meta.description}>
      <Badge
        color={meta.color}
        variant="light"
        size={size}
        leftSection={<StatusDot color={meta.color} pulse={status === 'running' || status === 'repairing'} />}
        data-testid={testId}
        data-status={status}
        styles={{ label: { textTransform: 'none' } }}
      >
        {meta.label}
      </Badge>
    </Tooltip>
  );
}

function StatusDot({ color, pulse }: { color: string; pulse: boolean }) {
  return (
    <Box
      component="span"
      aria-hidden
      w={7}
      h={7}
      style={{
        display: 'inline-block',
        borderRadius: '50%',
        background: `var(--mantine-color-${color}-filled)`,
        animation: pulse ? 'mf-pulse 1.2s ease-in-out infinite' : undefined,
      }}
    />
  );
}

export function FailureClassBadge({ value, size = 'sm' }: { value: string; size?: 'xs' | 'sm' | 'md' }) {
  const meta = failureClassMeta(value);
  return (
    <Tooltip label={meta.description} disabled={!meta.description} multiline maw={280}>
      <Badge
        color={meta.color}
        variant="outline"
        size={size}
        data-testid="failure-class"
        data-class={value}
        style={{ flexShrink: 0 }}
      >
        {meta.label}
      </Badge>
    </Tooltip>
  );
}

export function AuthorBadge({ author, currentUserId }: { author: VersionAuthor; currentUserId?: string }) {
  if (author.kind === 'repair') {
    return (
      <Badge
        color="grape"
        variant="light"
        leftSection={<IconRobot size={12} />}
        styles={{ label: { textTransform: 'none' } }}
        data-testid="author-badge"
        data-kind="repair"
      >
        Repair{author.id ? ` ${shortId(author.id)}` : ''}
      </Badge>
    );
  }
  const you = author.id && author.id === currentUserId;
  return (
    <Badge
      color="blue"
      variant="light"
      leftSection={<IconUser size={12} />}
      styles={{ label: { textTransform: 'none' } }}
      data-testid="author-badge"
      data-kind="user"
    >
      {you ? 'You' : author.id ? `Person ${shortId(author.id)}` : 'Person'}
    </Badge>
  );
}

/** A relative time that stays true while the page is open, with the absolute time on hover. */
export function TimeAgo({
  iso,
  size = 'sm',
  c,
  future = false,
}: {
  iso: string | null | undefined;
  size?: string;
  c?: string;
  /** A time that may lie ahead (an expiry): "in 7 days" rather than clamped to "just now". */
  future?: boolean;
}) {
  const now = useNow(15_000);
  if (!iso)
    return (
      <Text span size={size} c="dimmed">
        —
      </Text>
    );
  return (
    <Tooltip label={formatAbsolute(iso)}>
      <Text span size={size} c={c} component="time" dateTime={iso} style={{ whiteSpace: 'nowrap' }}>
        {formatRelative(iso, future ? now : Math.max(now, Date.parse(iso)))}
      </Text>
    </Tooltip>
  );
}

export function CodeBlock({
  code,
  language,
  maxHeight,
  lineNumbers = false,
}: {
  code: string;
  language: 'javascript' | 'typescript' | 'json' | 'diff' | 'plaintext';
  maxHeight?: number;
  lineNumbers?: boolean;
}) {
  // Collapse only code that is actually taller than maxHeight (about 20 px per line).
  const collapsible = maxHeight !== undefined && code.split('\n').length * 20 > maxHeight;
  return (
    <Box
      style={{
        border: '1px solid var(--mantine-color-default-border)',
        borderRadius: 'var(--mantine-radius-md)',
        overflow: 'hidden',
      }}
    >
      <CodeHighlight
        code={code}
        language={language}
        withLineNumbers={lineNumbers}
        withExpandButton={collapsible}
        maxCollapsedHeight={maxHeight}
        defaultExpanded={!collapsible}
        copyLabel="Copy"
        copiedLabel="Copied"
        styles={{ pre: { fontSize: 13 } }}
      />
    </Box>
  );
}

export function JsonBlock({ value, maxHeight }: { value: unknown; maxHeight?: number }) {
  if (value === undefined || value === null) {
    return (
      <Text size="sm" c="dimmed">
        None
      </Text>
    );
  }
  return <CodeBlock code={prettyJson(value)} language="json" maxHeight={maxHeight} />;
}

export function SectionTitle({ children, right }: { children: ReactNode; right?: ReactNode }) {
  return (
    <Group justify="space-between" mb="sm" gap="xs">
      <Title order={2} size="h4">
        {children}
      </Title>
      {right}
    </Group>
  );
}

/** A label / value list for details cards. */
export function Facts({ items }: { items: { label: string; value: ReactNode }[] }) {
  return (
    <Box
      component="dl"
      m={0}
      style={{ display: 'grid', gridTemplateColumns: 'minmax(7rem, auto) 1fr', gap: '8px 16px' }}
    >
      {items.map((item) => (
        <Box key={item.label} style={{ display: 'contents' }}>
          <Text component="dt" size="sm" c="dimmed">
            {item.label}
          </Text>
          <Box component="dd" m={0} style={{ minWidth: 0, fontSize: 'var(--mantine-font-size-sm)' }}>
            {item.value}
          </Box>
        </Box>
      ))}
    </Box>
  );
}

/**
 * The states every loaded list goes through, in one place: an error with a retry, a skeleton while
 * loading, an empty state when there is nothing, and otherwise the content built from the data.
 */
export function QueryView<T extends { items: readonly unknown[] }>({
  query,
  errorTitle,
  loading = <LoadingState rows={3} />,
  empty,
  children,
}: {
  query: { data: T | undefined; error: ApiError | null; isPending: boolean; refetch: () => unknown };
  errorTitle: string;
  loading?: ReactNode;
  empty: ReactNode;
  children: (data: T) => ReactNode;
}) {
  // An error matters only while there is nothing to show (a failed background read keeps the data).
  if (query.error && query.data === undefined) {
    return <ErrorState error={query.error} title={errorTitle} onRetry={() => void query.refetch()} />;
  }
  if (query.isPending || !query.data) return <>{loading}</>;
  if (query.data.items.length === 0) return <>{empty}</>;
  return <>{children(query.data)}</>;
}

/** Under a paged list: how many rows are shown, "Load more" while the server has more, and its error. */
export function LoadMoreFooter({
  shown,
  noun,
  hasMore,
  loading,
  error,
  onMore,
}: {
  shown: number;
  noun: [one: string, many: string];
  hasMore: boolean;
  loading: boolean;
  error?: string;
  onMore: () => void;
}) {
  return (
    <>
      <Group justify="center" gap="sm">
        <Text size="sm" c="dimmed" role="status">
          {shown} {shown === 1 ? noun[0] : noun[1]} shown
        </Text>
        {hasMore ? (
          <Button variant="default" onClick={onMore} loading={loading} data-testid="load-more">
            Load more
          </Button>
        ) : null}
      </Group>
      {error ? (
        <Text c="red" size="sm" ta="center" role="alert">
          {error}
        </Text>
      ) : null}
    </>
  );
}

/** Asks before something that cannot be undone: "Keep it" closes, the red button does it. */
export function ConfirmModal({
  opened,
  title,
  children,
  confirmLabel,
  busy = false,
  onConfirm,
  onClose,
}: {
  opened: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busy?: boolean;
  onConfirm: () => void;
  onClose: () => void;
}) {
  return (
    <Modal opened={opened} onClose={onClose} title={title}>
      <Text size="sm" mb="md">
        {children}
      </Text>
      <Group justify="flex-end">
        <Button variant="default" onClick={onClose}>
          Keep it
        </Button>
        <Button color="red" onClick={onConfirm} loading={busy}>
          {confirmLabel}
        </Button>
      </Group>
    </Modal>
  );
}
