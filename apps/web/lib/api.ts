/**
 * The browser's client for the Mendflow HTTP API (v1).
 *
 * Requests go to the web app's own origin (`/api/v1/...`); the web server forwards them to the API (see
 * proxy.ts), so there is no CORS and no API address in the bundle. The dashboard authenticates with the
 * httpOnly session cookie set by `POST /auth/login`; every write carries the session's CSRF token in
 * `x-csrf-token`. API keys remain for scripts and agents.
 */

import type {
  Bundle,
  DeliveryStatus,
  FailureClass,
  InboxAction,
  InboxKind,
  InboxStatus,
  NotificationChannelKind,
  NotificationTopic,
  RunError,
  RunStatus,
  RunTrigger,
  SecretRequestView,
  RunTriggerContext,
  RunWaitingFor,
  SigningKey,
  TriggerKind,
  TrustedPublisher,
} from '@mendflow/contracts';

// The run lifecycle, the event catalog and the inbox vocabulary are the shared contracts': import them
// from '@mendflow/contracts'. The types below are the HTTP API's views.

/** Roles in a workspace, highest first (see the API's libs/common/src/roles.ts). */
export const ROLES = ['owner', 'admin', 'editor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** What a role may do; `GET /me` lists the caller's. */
export type Permission =
  | 'account'
  | 'workspace:read'
  | 'automations:write'
  | 'runs:write'
  | 'inbox:resolve'
  | 'secrets:write'
  | 'api_keys:manage'
  | 'notifications:manage'
  | 'members:manage'
  | 'audit:read'
  | 'publishers:manage'
  | 'workspace:manage';

export interface User {
  id: string;
  email: string;
  /** The role in the current workspace. */
  role: Role;
}
export interface Workspace {
  id: string;
  name: string;
}
export interface SessionInfo {
  user: User;
  workspace: Workspace;
  permissions: Permission[];
  csrfToken: string;
}

export interface WorkspaceSummary extends Workspace {
  role: Role;
  current: boolean;
  createdAt: string;
}
export interface Member {
  userId: string;
  email: string;
  role: Role;
  joinedAt: string;
  you: boolean;
}
export interface Invitation {
  id: string;
  email: string;
  role: Role;
  state: 'pending' | 'expired' | 'accepted' | 'revoked';
  invitedBy: { id: string; email: string } | null;
  createdAt: string;
  expiresAt: string;
}
export interface CreatedInvitation extends Invitation {
  token: string;
  /** The dashboard page that accepts it, with the token in the fragment. */
  acceptPath: string;
}
export interface InvitationPreview {
  workspace: { name: string };
  email: string;
  role: Role;
  invitedBy: string | null;
  expiresAt: string;
  state: Invitation['state'];
  accountExists: boolean;
}
export interface AuditEntry {
  id: string;
  actor: { kind: 'user' | 'repair' | 'system' | (string & {}); id: string | null; email: string | null };
  action: string;
  target: { kind: string; id: string };
  data: Record<string, unknown>;
  createdAt: string;
}
/** GET /api/v1/runs: filters and page. */
export interface RunsListQuery {
  status?: string;
  automationId?: string;
  failureClass?: string;
  trigger?: string;
  createdFrom?: string;
  createdTo?: string;
  limit?: number;
  cursor?: string;
}
/** GET /api/v1/inbox. */
export interface InboxListQuery {
  status?: InboxStatus;
  runId?: string;
  limit?: number;
}
export interface AuditQuery {
  actorId?: string;
  action?: string;
  targetKind?: string;
  targetId?: string;
  createdFrom?: string;
  createdTo?: string;
  limit?: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
export interface Items<T> {
  items: T[];
}

export interface VersionAuthor {
  kind: 'user' | 'repair' | (string & {});
  id: string | null;
}
/** A version's script language; a TypeScript source is shown (and its errors located) as written. */
export type ScriptLanguage = 'javascript' | 'typescript';

export interface VersionSummary {
  id: string;
  number: number;
  language: ScriptLanguage;
  createdBy: VersionAuthor;
  createdAt: string;
}
export interface Version extends VersionSummary {
  source: string;
  manifest: Record<string, unknown> | null;
}

export interface AutomationStats {
  lastRun: { id: string; status: RunStatus; createdAt: string } | null;
  successRate: number | null;
  runsLast7Days: number;
  openInboxItems: number;
}
export interface Automation {
  id: string;
  name: string;
  description: string | null;
  status: 'active' | 'paused';
  latestVersion: number;
  deployedVersion: VersionSummary | null;
  createdAt: string;
  updatedAt: string;
  stats?: AutomationStats;
}
export interface AutomationDetail extends Omit<Automation, 'deployedVersion'> {
  deployedVersion: Version | null;
}

export interface RunSummary {
  id: string;
  automationId: string;
  automationName: string;
  versionId: string;
  versionNumber: number;
  status: RunStatus;
  trigger: RunTrigger | (string & {});
  attemptCount: number;
  error: RunError | null;
  nextAttemptAt: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** What a resting run waits for (a slot, an approval, a sleep); absent from APIs that predate it. */
  waitingFor?: RunWaitingFor | null;
  /** Where a triggered run came from: a schedule's tick, an event, a webhook delivery. */
  triggerContext?: RunTriggerContext | null;
}
export interface Classification {
  class: FailureClass | (string & {});
  reason: string;
  evidence?: unknown;
  action?: unknown;
  rule?: string;
}
export interface Attempt {
  number: number;
  versionNumber: number;
  status: string;
  output: unknown;
  error: RunError | null;
  classification: Classification | null;
  cost: { cpuMs: number | null; wallMs: number | null; memoryBytes: number | null; fetches: number | null };
  startedAt: string;
  finishedAt: string | null;
}
export interface RunDetail extends RunSummary {
  input: unknown;
  output: unknown;
  idempotencyKey: string | null;
  attempts?: Attempt[];
  /** Set for an exploration run (an agent's MCP execute): the snippet it ran. */
  exploration?: { source: string; manifest: unknown };
}
export interface RunEvent {
  seq: number;
  type: string;
  data: Record<string, unknown> | null;
  createdAt: string;
}
export interface LogLine {
  level: string;
  message: string;
  data?: unknown;
  t: number | string;
}
export interface AttemptLogs {
  attempt: number;
  logs: LogLine[];
}

export interface InboxItem {
  id: string;
  kind: InboxKind;
  status: InboxStatus;
  title: string;
  reason: string;
  evidence: Record<string, unknown> | null;
  actions: InboxAction[];
  run: { id: string };
  automation: { id: string; name: string };
  repairId: string | null;
  resolution: { action: string; by: string | null; comment: string | null; at: string | null } | null;
  createdAt: string;
}

/** What an approval request asks for: the capabilities the run may use once approved. */
export interface ApprovalCaps {
  maxFetches?: number;
  hosts?: string[];
}
/** The evidence of an `approval` inbox item. */
export interface ApprovalEvidence {
  title: string;
  details?: string;
  caps?: ApprovalCaps;
  expiresAt: string;
  attempt: number;
  /** Who started the run (the engine stores `{ kind, id }`); null for a schedule or a webhook. */
  startedBy?: { kind: 'user' | 'api_key'; id: string } | null;
}
export interface ResolveInboxBody {
  action: InboxAction;
  comment?: string;
  /** approve only: the caps granted, at most those requested. */
  caps?: ApprovalCaps;
}

export interface Secret {
  name: string;
  createdAt: string;
  updatedAt: string;
}
/** A secret an agent asked for (MCP request_secret): a name and a purpose, never a value. */
export type SecretRequest = SecretRequestView;
export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  createdBy: { id: string; email: string };
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}
export interface CreatedApiKey extends ApiKey {
  key: string;
}

export interface Repair {
  id: string;
  automationId: string;
  runId: string;
  attempt: number;
  status: string;
  provider: string;
  model: string | null;
  explanation: string | null;
  deployedVersionId: string | null;
  tokens: { prompt: number; completion: number; total: number };
  error: string | null;
  createdAt: string;
}
export interface RepairDetail extends Repair {
  candidateSource: string | null;
  diff: string | null;
  validation: unknown;
}

/** GET /automations/:id/triggers: the deployed triggers, with a schedule's next fire times and last runs. */
export interface AutomationTrigger {
  id: string;
  kind: TriggerKind;
  config: Record<string, unknown> & { type: TriggerKind };
  eventName: string | null;
  armedAt: string;
  lastTickAt: string | null;
  /** cron: how the last tick went; null before the first one. */
  lastTickOutcome: 'run_created' | 'skipped_overlap' | 'skipped_missed' | null;
  lastRunId: string | null;
  nextFireTimes: string[];
  lastRuns: { id: string; status: RunStatus; scheduledAt: string | null; createdAt: string }[];
}
/** GET /automations/:id/webhook: never the token itself. */
export interface WebhookInfo {
  enabled: boolean;
  hasToken: boolean;
  tokenPrefix: string | null;
  createdAt: string | null;
  urlTemplate: string;
  signature: { scheme: string; header: string; secret: string } | null;
}
/** POST /automations/:id/webhook/token: shown once. */
export interface WebhookToken {
  token: string;
  /** The hook's path with the token; the dashboard's origin forwards it to the API. */
  path: string;
  /** The same on the origin the API saw the request on. */
  url: string;
  tokenPrefix: string;
  createdAt: string;
}

export interface NotificationChannel {
  id: string;
  name: string;
  kind: NotificationChannelKind;
  topics: NotificationTopic[];
  enabled: boolean;
  /** What is not secret (a webhook URL, recipients, the SMTP host); secrets only as `hasSecret`. */
  config: Record<string, unknown>;
  hasSecret: boolean;
  createdAt: string;
  updatedAt: string;
}
/** POST /notification-channels: a webhook channel's signing secret is shown once. */
export interface CreatedNotificationChannel extends NotificationChannel {
  signingSecret?: string;
}
export interface NewNotificationChannel {
  name: string;
  kind: NotificationChannelKind;
  topics?: NotificationTopic[];
  config: Record<string, unknown>;
  /** Email: the SMTP password, stored encrypted. */
  password?: string;
}
export interface NotificationDelivery {
  id: string;
  channelId: string;
  channelName: string;
  topic: NotificationTopic | (string & {});
  subjectId: string;
  runId: string | null;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  message: { title?: string; text?: string; url?: string } & Record<string, unknown>;
  createdAt: string;
  deliveredAt: string | null;
}

export interface Overview {
  runsPerHour: { hour: string; succeeded: number; failed: number; actionNeeded: number; other: number }[];
  needingAttention: { automationId: string; name: string; openInboxItems: number; failedLast24h: number }[];
}

export interface Diagnostic {
  line: number;
  column: number;
  severity: string;
  message: string;
  ruleId: string | null;
}

/** The API's error envelope: `{ error: { code, message, details } }`. */
interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    /** HTTP status; 0 when the request never got an answer. */
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  get isUnauthenticated(): boolean {
    return this.status === 401;
  }
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}

// Session state the client needs for every request, set by the session provider.
let csrfToken: string | null = null;
let onUnauthenticated: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when a request (other than sign-in) answers 401: the session ended. */
export function setUnauthenticatedHandler(handler: (() => void) | null): void {
  onUnauthenticated = handler;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  method?: Method;
  query?: Record<string, string | number | boolean | null | undefined>;
  body?: unknown;
  signal?: AbortSignal;
  /** Do not treat a 401 as "the session ended" (sign-in itself answers 401 for a wrong password). */
  quietUnauthenticated?: boolean;
}

export function buildPath(path: string, query?: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return `/api/v1${path}${search ? `?${search}` : ''}`;
}

async function send(path: string, options: RequestOptions): Promise<Response> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  try {
    return await fetch(buildPath(path, options.query), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      cache: 'no-store',
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK_ERROR', 'Could not reach the Mendflow server. Check your connection.');
  }
}

/** Calls `/api/v1${path}` and returns the parsed JSON body (undefined for 204), or throws an {@link ApiError}. */
export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  let response = await send(path, options);
  if (response.status === 403 && options.method && options.method !== 'GET') {
    // The CSRF token may be stale (another tab signed in again): refresh it once from /me and retry.
    const peek = await response
      .clone()
      .json()
      .catch(() => null);
    if (isErrorBody(peek) && peek.error.code === 'CSRF_TOKEN_INVALID') {
      const me = await send('/me', {});
      if (me.ok) {
        const session = (await me.json()) as SessionInfo;
        setCsrfToken(session.csrfToken);
        response = await send(path, options);
      }
    }
  }

  const text = await response.text();
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }

  if (!response.ok) {
    if (response.status === 401 && !options.quietUnauthenticated) onUnauthenticated?.();
    if (isErrorBody(body)) {
      throw new ApiError(response.status, body.error.code, body.error.message, body.error.details);
    }
    if (response.status >= 500) {
      throw new ApiError(
        response.status,
        'API_UNAVAILABLE',
        `The API did not answer (HTTP ${response.status}).`,
      );
    }
    throw new ApiError(
      response.status,
      'BAD_RESPONSE',
      `Unexpected answer from the API (HTTP ${response.status}).`,
    );
  }
  if (response.status === 204) return undefined as T;
  if (body === undefined) {
    throw new ApiError(response.status, 'BAD_RESPONSE', 'The API answered with something other than JSON.');
  }
  return body as T;
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(0, 'UNEXPECTED', err instanceof Error ? err.message : String(err));
}

// ---- endpoints -------------------------------------------------------------------------------------

export const api = {
  login: (email: string, password: string) =>
    apiRequest<SessionInfo>('/auth/login', {
      method: 'POST',
      body: { email, password },
      quietUnauthenticated: true,
    }),
  logout: () => apiRequest<void>('/auth/logout', { method: 'POST', quietUnauthenticated: true }),
  me: (signal?: AbortSignal) => apiRequest<SessionInfo>('/me', { signal, quietUnauthenticated: true }),

  overview: (hours = 24, signal?: AbortSignal) =>
    apiRequest<Overview>('/stats/overview', { query: { hours }, signal }),

  automations: (query: { limit?: number; cursor?: string } = {}, signal?: AbortSignal) =>
    apiRequest<Page<Automation>>('/automations', {
      query: { limit: query.limit ?? 100, cursor: query.cursor },
      signal,
    }),
  automation: (id: string, signal?: AbortSignal) =>
    apiRequest<AutomationDetail>(`/automations/${id}`, { signal }),
  createAutomation: (body: { name: string; source: string; manifest?: unknown; language?: ScriptLanguage }) =>
    apiRequest<AutomationDetail>('/automations', { method: 'POST', body }),
  updateAutomation: (
    id: string,
    body: { status?: 'active' | 'paused'; name?: string; description?: string },
  ) => apiRequest<AutomationDetail>(`/automations/${id}`, { method: 'PATCH', body }),
  versions: (id: string, signal?: AbortSignal) =>
    apiRequest<Items<Version>>(`/automations/${id}/versions`, { signal }),
  rollback: (id: string, version: number) =>
    apiRequest<AutomationDetail>(`/automations/${id}/rollback`, { method: 'POST', body: { version } }),
  startRun: (automationId: string, input: unknown) =>
    apiRequest<RunDetail>(`/automations/${automationId}/runs`, { method: 'POST', body: { input } }),

  runs: (query: RunsListQuery = {}, signal?: AbortSignal) =>
    apiRequest<Page<RunSummary>>('/runs', { query: { limit: 50, ...query }, signal }),
  run: (id: string, signal?: AbortSignal) => apiRequest<RunDetail>(`/runs/${id}`, { signal }),
  runEvents: (id: string, after = 0, signal?: AbortSignal) =>
    apiRequest<Items<RunEvent>>(`/runs/${id}/events`, { query: { after }, signal }),
  runLogs: (id: string, signal?: AbortSignal) =>
    apiRequest<Items<AttemptLogs>>(`/runs/${id}/logs`, { signal }),
  cancelRun: (id: string, reason?: string) =>
    apiRequest<RunDetail>(`/runs/${id}/cancel`, {
      method: 'POST',
      body: reason ? { reason } : undefined,
    }),
  retryRun: (id: string) => apiRequest<RunDetail>(`/runs/${id}/retry`, { method: 'POST' }),

  inbox: (query: InboxListQuery = {}, signal?: AbortSignal) =>
    apiRequest<Items<InboxItem>>('/inbox', { query: { limit: 100, ...query }, signal }),
  resolveInbox: (id: string, body: ResolveInboxBody) =>
    apiRequest<InboxItem>(`/inbox/${id}/resolve`, { method: 'POST', body }),

  secrets: (signal?: AbortSignal) => apiRequest<Items<Secret>>('/secrets', { signal }),
  secretRequests: (signal?: AbortSignal) => apiRequest<Items<SecretRequest>>('/secret-requests', { signal }),
  putSecret: (name: string, value: string) =>
    apiRequest<{ name: string; created: boolean }>(`/secrets/${encodeURIComponent(name)}`, {
      method: 'PUT',
      body: { value },
    }),
  deleteSecret: (name: string) =>
    apiRequest<void>(`/secrets/${encodeURIComponent(name)}`, { method: 'DELETE' }),

  apiKeys: (signal?: AbortSignal) => apiRequest<Items<ApiKey>>('/api-keys', { signal }),
  createApiKey: (body: { name: string; role?: Role; expiresAt?: string | null }) =>
    apiRequest<CreatedApiKey>('/api-keys', { method: 'POST', body }),
  revokeApiKey: (id: string) => apiRequest<void>(`/api-keys/${id}`, { method: 'DELETE' }),

  workspaces: (signal?: AbortSignal) => apiRequest<Items<WorkspaceSummary>>('/workspaces', { signal }),
  createWorkspace: (name: string) =>
    apiRequest<WorkspaceSummary>('/workspaces', { method: 'POST', body: { name } }),
  switchWorkspace: (id: string) => apiRequest<SessionInfo>(`/workspaces/${id}/switch`, { method: 'POST' }),
  leaveWorkspace: (id: string) =>
    apiRequest<{ signedOut: boolean }>(`/workspaces/${id}/leave`, { method: 'POST' }),
  renameWorkspace: (name: string) =>
    apiRequest<WorkspaceSummary>('/workspaces/current', { method: 'PATCH', body: { name } }),

  members: (signal?: AbortSignal) => apiRequest<Items<Member>>('/members', { signal }),
  changeMemberRole: (userId: string, role: Role) =>
    apiRequest<Member>(`/members/${userId}`, { method: 'PATCH', body: { role } }),
  removeMember: (userId: string) => apiRequest<void>(`/members/${userId}`, { method: 'DELETE' }),
  invitations: (signal?: AbortSignal) => apiRequest<Items<Invitation>>('/invitations', { signal }),
  invite: (body: { email: string; role: Role; expiresInHours?: number }) =>
    apiRequest<CreatedInvitation>('/invitations', { method: 'POST', body }),
  revokeInvitation: (id: string) => apiRequest<void>(`/invitations/${id}`, { method: 'DELETE' }),
  previewInvitation: (token: string, signal?: AbortSignal) =>
    apiRequest<InvitationPreview>('/invitations/preview', {
      method: 'POST',
      body: { token },
      signal,
      quietUnauthenticated: true,
    }),
  acceptInvitation: (token: string, password: string) =>
    apiRequest<SessionInfo>('/invitations/accept', {
      method: 'POST',
      body: { token, password },
      quietUnauthenticated: true,
    }),
  joinInvitation: (token: string) =>
    apiRequest<SessionInfo>('/invitations/join', { method: 'POST', body: { token } }),

  audit: (query: AuditQuery = {}, signal?: AbortSignal) =>
    apiRequest<Page<AuditEntry>>('/audit', { query: { limit: 50, ...query }, signal }),

  triggers: (automationId: string, signal?: AbortSignal) =>
    apiRequest<Items<AutomationTrigger>>(`/automations/${automationId}/triggers`, { signal }),
  webhook: (automationId: string, signal?: AbortSignal) =>
    apiRequest<WebhookInfo>(`/automations/${automationId}/webhook`, { signal }),
  rotateWebhookToken: (automationId: string) =>
    apiRequest<WebhookToken>(`/automations/${automationId}/webhook/token`, { method: 'POST' }),

  notificationChannels: (signal?: AbortSignal) =>
    apiRequest<Items<NotificationChannel>>('/notification-channels', { signal }),
  createNotificationChannel: (body: NewNotificationChannel) =>
    apiRequest<CreatedNotificationChannel>('/notification-channels', { method: 'POST', body }),
  updateNotificationChannel: (id: string, body: { enabled?: boolean; topics?: NotificationTopic[] }) =>
    apiRequest<NotificationChannel>(`/notification-channels/${id}`, { method: 'PATCH', body }),
  deleteNotificationChannel: (id: string) =>
    apiRequest<void>(`/notification-channels/${id}`, { method: 'DELETE' }),
  testNotificationChannel: (id: string) =>
    apiRequest<{ delivered: boolean; error?: string }>(`/notification-channels/${id}/test`, {
      method: 'POST',
    }),
  notificationDeliveries: (
    query: { channelId?: string; status?: string; limit?: number },
    signal?: AbortSignal,
  ) =>
    apiRequest<Page<NotificationDelivery>>('/notification-deliveries', {
      query: { limit: 20, ...query },
      signal,
    }),

  // Signed bundles (docs/bundles.md): the shapes are the contracts' (Bundle, SigningKey, TrustedPublisher).
  exportBundle: (automationId: string) => apiRequest<Bundle>(`/automations/${automationId}/bundle`),
  importBundle: (body: { bundle: unknown; name?: string }) =>
    apiRequest<AutomationDetail>('/automations/import', { method: 'POST', body }),
  signingKey: (signal?: AbortSignal) => apiRequest<SigningKey>('/signing-key', { signal }),
  trustedPublishers: (signal?: AbortSignal) =>
    apiRequest<Items<TrustedPublisher>>('/trusted-publishers', { signal }),
  addTrustedPublisher: (body: { name: string; publicKey: string }) =>
    apiRequest<TrustedPublisher>('/trusted-publishers', { method: 'POST', body }),
  removeTrustedPublisher: (id: string) => apiRequest<void>(`/trusted-publishers/${id}`, { method: 'DELETE' }),

  repairs: (query: { automationId?: string; runId?: string }, signal?: AbortSignal) =>
    apiRequest<Items<Repair>>('/repairs', { query, signal }),
  repair: (id: string, signal?: AbortSignal) => apiRequest<RepairDetail>(`/repairs/${id}`, { signal }),
};
