'use client';

/**
 * Every read of the dashboard as a TanStack Query definition (keyed by query-keys.ts), and every write
 * as a mutation that updates or invalidates the keys it affects. Components call
 * `useQuery(queries.run(id))`, `useInfiniteQuery(queries.runsPages(filters))`, `useCancelRun()`…
 */
import {
  type InfiniteData,
  infiniteQueryOptions,
  type QueryClient,
  type QueryKey,
  queryOptions,
  type UseInfiniteQueryResult,
  useMutation,
  useQueryClient,
} from '@tanstack/react-query';
import type { NotificationTopic } from '@mendflow/contracts';
import { useMemo } from 'react';
import {
  api,
  type ApiError,
  type AuditEntry,
  type Automation,
  type Items,
  type Member,
  type NewNotificationChannel,
  type Page,
  type ResolveInboxBody,
  type RetentionSettingsBody,
  type RunEvent,
  type RunSummary,
  type Role,
  toApiError,
} from './api';
import { type AuditListQuery, type InboxQuery, queryKeys, type RunsQuery } from './query-keys';
import { contiguousSeq, mergeEvents } from './run-cache';

declare module '@tanstack/react-query' {
  interface Register {
    defaultError: ApiError;
  }
}

export { queryKeys } from './query-keys';

/** Wraps a fetcher so every failure is an ApiError (an abort is left as it is for TanStack Query). */
function read<T>(fetcher: (signal: AbortSignal) => Promise<T>) {
  return async ({ signal }: { signal: AbortSignal }): Promise<T> => {
    try {
      return await fetcher(signal);
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') throw err;
      throw toApiError(err);
    }
  };
}

/** Pages of a cursor-paged list: `useInfiniteQuery` merges them; "Load more" fetches the next. */
function pages<T>(
  queryKey: QueryKey,
  fetchPage: (cursor: string | undefined, signal: AbortSignal) => Promise<Page<T>>,
) {
  return infiniteQueryOptions({
    queryKey,
    queryFn: ({ pageParam, signal }) => read((s) => fetchPage(pageParam, s))({ signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last: Page<T>) => last.nextCursor ?? undefined,
  });
}

/** The rows of a paged list, each once (a row can move between pages while paging). */
export function flattenPages<T extends { id: string }>(data: { pages: Page<T>[] } | undefined): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const page of data?.pages ?? []) {
    for (const item of page.items) {
      if (seen.has(item.id)) continue;
      seen.add(item.id);
      out.push(item);
    }
  }
  return out;
}

/** A paged list's rows and what its "Load more" footer needs (see LoadMoreFooter). */
export function usePagedRows<T extends { id: string }>(
  query: UseInfiniteQueryResult<InfiniteData<Page<T>>, ApiError>,
) {
  const rows = useMemo(() => flattenPages(query.data), [query.data]);
  const { hasNextPage, isFetchingNextPage, isFetchNextPageError, error, fetchNextPage } = query;
  return {
    rows,
    more: {
      hasMore: hasNextPage,
      loading: isFetchingNextPage,
      error: isFetchNextPageError ? error?.message : undefined,
      onMore: () => void fetchNextPage(),
    },
  };
}

export const queries = {
  overview: (hours: number) =>
    queryOptions({ queryKey: queryKeys.overview.hours(hours), queryFn: read((s) => api.overview(hours, s)) }),

  automations: (limit = 200) =>
    queryOptions({
      queryKey: queryKeys.automations.list(limit),
      queryFn: read((s) => api.automations({ limit }, s)),
    }),
  automation: (id: string) =>
    queryOptions({ queryKey: queryKeys.automations.detail(id), queryFn: read((s) => api.automation(id, s)) }),
  /** Polled: a schedule's next fire times move on and its runs come while the page is open. */
  triggers: (automationId: string) =>
    queryOptions({
      queryKey: queryKeys.automations.triggers(automationId),
      queryFn: read((s) => api.triggers(automationId, s)),
      refetchInterval: 15_000,
    }),
  versions: (automationId: string) =>
    queryOptions({
      queryKey: queryKeys.versions.list(automationId),
      queryFn: read((s) => api.versions(automationId, s)),
    }),
  webhook: (automationId: string) =>
    queryOptions({
      queryKey: queryKeys.automations.webhook(automationId),
      queryFn: read((s) => api.webhook(automationId, s)),
    }),
  signingKey: () =>
    queryOptions({ queryKey: queryKeys.bundles.signingKey, queryFn: read((s) => api.signingKey(s)) }),
  trustedPublishers: () =>
    queryOptions({
      queryKey: queryKeys.bundles.trustedPublishers,
      queryFn: read((s) => api.trustedPublishers(s)),
    }),
  notificationChannels: () =>
    queryOptions({
      queryKey: queryKeys.notifications.channels,
      queryFn: read((s) => api.notificationChannels(s)),
    }),
  notificationDeliveries: () =>
    queryOptions({
      queryKey: queryKeys.notifications.deliveries,
      queryFn: read((s) => api.notificationDeliveries({ limit: 20 }, s)),
    }),
  repairs: (query: { automationId?: string; runId?: string }) =>
    queryOptions({ queryKey: queryKeys.repairs.list(query), queryFn: read((s) => api.repairs(query, s)) }),
  repair: (id: string) =>
    queryOptions({ queryKey: queryKeys.repairs.detail(id), queryFn: read((s) => api.repair(id, s)) }),

  /** One page of runs (the automation page's recent runs). */
  runs: (query: RunsQuery) =>
    queryOptions({ queryKey: queryKeys.runs.list(query), queryFn: read((s) => api.runs(query, s)) }),
  /** Every page of runs loaded so far (the runs page). */
  runsPages: (query: RunsQuery) =>
    pages<RunSummary>([...queryKeys.runs.list(query), 'pages'], (cursor, signal) =>
      api.runs({ ...query, cursor }, signal),
    ),
  run: (id: string) =>
    queryOptions({ queryKey: queryKeys.runs.detail(id), queryFn: read((s) => api.run(id, s)) }),
  runLogs: (id: string) =>
    queryOptions({ queryKey: queryKeys.runs.logs(id), queryFn: read((s) => api.runLogs(id, s)) }),
  /**
   * A run's timeline. Live events are appended to this entry as they arrive (run-cache.ts); a fetch
   * reads only what comes after the gap-free prefix already held and merges it, so a fetch racing the
   * stream loses nothing.
   */
  runEvents: (client: QueryClient, id: string) =>
    queryOptions({
      queryKey: queryKeys.runs.events(id),
      queryFn: read(async (signal): Promise<RunEvent[]> => {
        const held = client.getQueryData<RunEvent[]>(queryKeys.runs.events(id));
        const page = await api.runEvents(id, contiguousSeq(held), signal);
        return mergeEvents(client.getQueryData<RunEvent[]>(queryKeys.runs.events(id)), page.items);
      }),
    }),

  inbox: (query: InboxQuery) =>
    queryOptions({ queryKey: queryKeys.inbox.list(query), queryFn: read((s) => api.inbox(query, s)) }),

  audit: (query: AuditListQuery) =>
    pages<AuditEntry>(queryKeys.audit.list(query), (cursor, signal) =>
      api.audit({ ...query, cursor }, signal),
    ),

  members: () => queryOptions({ queryKey: queryKeys.members, queryFn: read((s) => api.members(s)) }),
  invitations: () =>
    queryOptions({ queryKey: queryKeys.invitations, queryFn: read((s) => api.invitations(s)) }),
  apiKeys: () => queryOptions({ queryKey: queryKeys.apiKeys, queryFn: read((s) => api.apiKeys(s)) }),
  secrets: () => queryOptions({ queryKey: queryKeys.secrets, queryFn: read((s) => api.secrets(s)) }),
  secretRequests: () =>
    queryOptions({ queryKey: queryKeys.secretRequests, queryFn: read((s) => api.secretRequests(s)) }),
  workspaces: () => queryOptions({ queryKey: queryKeys.workspaces, queryFn: read((s) => api.workspaces(s)) }),
  retention: () => queryOptions({ queryKey: queryKeys.retention, queryFn: read((s) => api.retention(s)) }),
};

// ---- writes ----------------------------------------------------------------------------------------

function invalidateAll(client: QueryClient, keys: readonly QueryKey[]): Promise<unknown> {
  return Promise.all(keys.map((queryKey) => client.invalidateQueries({ queryKey })));
}

/** A write that, once it succeeded, invalidates `keys` (and first runs `update` on the cache). */
function useWrite<V, R>(
  mutationFn: (variables: V) => Promise<R>,
  keys: readonly QueryKey[] | ((variables: V, result: R) => readonly QueryKey[]),
  update?: (client: QueryClient, result: R, variables: V) => void,
) {
  const client = useQueryClient();
  return useMutation<R, ApiError, V>({
    mutationFn: async (variables) => {
      try {
        return await mutationFn(variables);
      } catch (err) {
        throw toApiError(err);
      }
    },
    onSuccess: (result, variables) => {
      update?.(client, result, variables);
      void invalidateAll(client, typeof keys === 'function' ? keys(variables, result) : keys);
    },
  });
}

const runChanged = (runId: string) => [
  queryKeys.runs.detail(runId),
  queryKeys.runs.lists(),
  queryKeys.inbox.all,
  queryKeys.overview.all,
  queryKeys.audit.all,
];

export const useCancelRun = () =>
  useWrite(
    ({ runId, reason }: { runId: string; reason?: string }) => api.cancelRun(runId, reason),
    ({ runId }) => runChanged(runId),
  );

export const useRetryRun = () =>
  useWrite(
    (runId: string) => api.retryRun(runId),
    (runId) => runChanged(runId),
  );

export const useResolveInbox = () =>
  useWrite(
    ({ id, body }: { id: string; body: ResolveInboxBody }) => api.resolveInbox(id, body),
    (_v, item) => [...runChanged(item.run.id), queryKeys.automations.all, queryKeys.repairs.all],
  );

export const useStartRun = () =>
  useWrite(
    ({ automationId, input }: { automationId: string; input: unknown }) => api.startRun(automationId, input),
    [queryKeys.runs.lists(), queryKeys.automations.all, queryKeys.overview.all],
    (client, run) => client.setQueryData(queryKeys.runs.detail(run.id), run),
  );

export const useSetAutomationStatus = () =>
  useWrite(
    ({ id, status }: { id: string; status: 'active' | 'paused' }) => api.updateAutomation(id, { status }),
    [queryKeys.automations.all, queryKeys.audit.all],
    (client, updated) =>
      client.setQueriesData<Page<Automation>>({ queryKey: ['automations', 'list'] }, (page) =>
        page
          ? {
              ...page,
              items: page.items.map((a) => (a.id === updated.id ? { ...a, status: updated.status } : a)),
            }
          : page,
      ),
  );

export const useCreateAutomation = () =>
  useWrite(
    (body: Parameters<typeof api.createAutomation>[0]) => api.createAutomation(body),
    [queryKeys.automations.all, queryKeys.overview.all, queryKeys.audit.all],
  );

export const useRollback = () =>
  useWrite(
    ({ automationId, version }: { automationId: string; version: number }) =>
      api.rollback(automationId, version),
    [queryKeys.automations.all, queryKeys.versions.all, queryKeys.audit.all],
  );

export const usePutSecret = () =>
  useWrite(
    ({ name, value }: { name: string; value: string }) => api.putSecret(name, value),
    // Setting a secret fulfills the agents' open request of that name.
    [queryKeys.secrets, queryKeys.secretRequests, queryKeys.audit.all],
  );

export const useDeleteSecret = () =>
  useWrite(
    (name: string) => api.deleteSecret(name),
    [queryKeys.secrets, queryKeys.audit.all],
    (client, _r, name) =>
      client.setQueryData<Items<{ name: string }>>(queryKeys.secrets, (page) =>
        page ? { items: page.items.filter((s) => s.name !== name) } : page,
      ),
  );

export const useCreateApiKey = () =>
  useWrite(
    (body: { name: string; role?: Role; expiresAt?: string | null }) => api.createApiKey(body),
    [queryKeys.apiKeys, queryKeys.audit.all],
  );

export const useRevokeApiKey = () =>
  useWrite(
    (id: string) => api.revokeApiKey(id),
    [queryKeys.apiKeys, queryKeys.audit.all],
    (client, _r, id) =>
      client.setQueryData<Items<{ id: string }>>(queryKeys.apiKeys, (page) =>
        page ? { items: page.items.filter((k) => k.id !== id) } : page,
      ),
  );

export const useChangeMemberRole = () =>
  useWrite(
    ({ userId, role }: { userId: string; role: Role }) => api.changeMemberRole(userId, role),
    [queryKeys.members, queryKeys.audit.all],
    (client, updated) =>
      client.setQueryData<Items<Member>>(queryKeys.members, (page) =>
        page ? { items: page.items.map((m) => (m.userId === updated.userId ? updated : m)) } : page,
      ),
  );

export const useRemoveMember = () =>
  useWrite(
    (userId: string) => api.removeMember(userId),
    [queryKeys.members, queryKeys.audit.all, queryKeys.apiKeys],
    (client, _r, userId) =>
      client.setQueryData<Items<Member>>(queryKeys.members, (page) =>
        page ? { items: page.items.filter((m) => m.userId !== userId) } : page,
      ),
  );

export const useInvite = () =>
  useWrite(
    (body: { email: string; role: Role; expiresInHours?: number }) => api.invite(body),
    [queryKeys.invitations, queryKeys.audit.all],
  );

export const useRevokeInvitation = () =>
  useWrite(
    (id: string) => api.revokeInvitation(id),
    [queryKeys.invitations, queryKeys.audit.all],
    (client, _r, id) =>
      client.setQueryData<Items<{ id: string }>>(queryKeys.invitations, (page) =>
        page ? { items: page.items.filter((i) => i.id !== id) } : page,
      ),
  );

export const useRotateWebhookToken = () =>
  useWrite(
    (automationId: string) => api.rotateWebhookToken(automationId),
    (automationId) => [queryKeys.automations.webhook(automationId), queryKeys.audit.all],
  );

export const useImportBundle = () =>
  useWrite(
    (body: { bundle: unknown; name?: string }) => api.importBundle(body),
    [queryKeys.automations.all, queryKeys.overview.all, queryKeys.audit.all],
  );

export const useSetRetention = () =>
  useWrite(
    (body: RetentionSettingsBody) => api.setRetention(body),
    [queryKeys.retention, queryKeys.audit.all],
  );

export const useAddTrustedPublisher = () =>
  useWrite(
    (body: { name: string; publicKey: string }) => api.addTrustedPublisher(body),
    [queryKeys.bundles.trustedPublishers, queryKeys.audit.all],
  );

export const useRemoveTrustedPublisher = () =>
  useWrite(
    (id: string) => api.removeTrustedPublisher(id),
    [queryKeys.bundles.trustedPublishers, queryKeys.audit.all],
  );

export const useCreateNotificationChannel = () =>
  useWrite(
    (body: NewNotificationChannel) => api.createNotificationChannel(body),
    [queryKeys.notifications.channels, queryKeys.audit.all],
  );

export const useUpdateNotificationChannel = () =>
  useWrite(
    ({ id, ...body }: { id: string; enabled?: boolean; topics?: NotificationTopic[] }) =>
      api.updateNotificationChannel(id, body),
    [queryKeys.notifications.channels, queryKeys.audit.all],
  );

export const useDeleteNotificationChannel = () =>
  useWrite(
    (id: string) => api.deleteNotificationChannel(id),
    [queryKeys.notifications.all, queryKeys.audit.all],
  );

export const useTestNotificationChannel = () =>
  useWrite((id: string) => api.testNotificationChannel(id), [queryKeys.notifications.deliveries]);
