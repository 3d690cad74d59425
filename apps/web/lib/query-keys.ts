/**
 * Every query key of the dashboard, in one place. Keys are arrays from the general to the specific, so
 * a prefix names a group: `queryKeys.runs.lists()` matches every runs list whatever its filters,
 * `queryKeys.runs.all` everything about runs. Writes invalidate by these prefixes, and live messages
 * update the entries they name (see run-cache.ts).
 */
import type { AuditQuery, InboxListQuery, RunsListQuery } from './api';

// The queries' shapes are the API client's; a list's key leaves out the page cursor (pages live under it).
export type RunsQuery = Omit<RunsListQuery, 'cursor'>;
export type AuditListQuery = Omit<AuditQuery, 'cursor'>;
export type InboxQuery = InboxListQuery;

export const queryKeys = {
  runs: {
    all: ['runs'] as const,
    lists: () => ['runs', 'list'] as const,
    list: (query: RunsQuery) => ['runs', 'list', query] as const,
    detail: (id: string) => ['runs', 'detail', id] as const,
    events: (id: string) => ['runs', 'events', id] as const,
    logs: (id: string) => ['runs', 'logs', id] as const,
  },
  inbox: {
    all: ['inbox'] as const,
    list: (query: InboxQuery) => ['inbox', 'list', query] as const,
  },
  automations: {
    all: ['automations'] as const,
    list: (limit: number) => ['automations', 'list', limit] as const,
    detail: (id: string) => ['automations', 'detail', id] as const,
    /** Under automations: pausing, resuming or redeploying (which invalidate `all`) refreshes them. */
    triggers: (id: string) => ['automations', 'triggers', id] as const,
    webhook: (id: string) => ['automations', 'webhook', id] as const,
  },
  bundles: {
    all: ['bundles'] as const,
    signingKey: ['bundles', 'signing-key'] as const,
    trustedPublishers: ['bundles', 'trusted-publishers'] as const,
  },
  notifications: {
    all: ['notifications'] as const,
    channels: ['notifications', 'channels'] as const,
    deliveries: ['notifications', 'deliveries'] as const,
  },
  versions: {
    all: ['versions'] as const,
    list: (automationId: string) => ['versions', automationId] as const,
  },
  repairs: {
    all: ['repairs'] as const,
    list: (query: { automationId?: string; runId?: string }) => ['repairs', 'list', query] as const,
    detail: (id: string) => ['repairs', 'detail', id] as const,
  },
  overview: {
    all: ['overview'] as const,
    hours: (hours: number) => ['overview', hours] as const,
  },
  audit: {
    all: ['audit'] as const,
    list: (query: AuditListQuery) => ['audit', 'list', query] as const,
  },
  members: ['members'] as const,
  invitations: ['invitations'] as const,
  apiKeys: ['api-keys'] as const,
  secrets: ['secrets'] as const,
  secretRequests: ['secret-requests'] as const,
  workspaces: ['workspaces'] as const,
  retention: ['workspace', 'retention'] as const,
} as const;
