/**
 * The browser's client for the Mendflow HTTP API (v1).
 *
 * Requests go to the web app's own origin (`/api/v1/...`); the web server forwards them to the API (see
 * proxy.ts), so there is no CORS and no API address in the bundle. The dashboard authenticates with the
 * httpOnly session cookie set by `POST /auth/login`; every write carries the session's CSRF token in
 * `x-csrf-token`. API keys remain for scripts and agents.
 */

import type {
  ApprovalCaps as ContractApprovalCaps,
  Bundle,
  FailureClass,
  InboxAction,
  InboxStatus,
  NotificationChannelKind,
  NotificationTopic,
  RunTriggerContext,
  RunWaitingFor,
  SigningKey,
  TriggerKind,
  TrustedPublisher,
} from '@mendflow/contracts';
import type { components, paths } from '@mendflow/sdk';

// The run lifecycle, the event catalog and the inbox vocabulary are the shared contracts': import them
// from '@mendflow/contracts'. The HTTP API's views below are the served OpenAPI document's schemas
// (libs/sdk/src/openapi.ts, generated from the API's zod contracts): never restate their fields here.
type Schemas = components['schemas'];

/** A JSON request body of an operation, as the document declares it. */
type JsonBody<Op> = Op extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

/** A role in a workspace (the document's enum, e.g. `PATCH /members/{userId}`'s body; the API's libs/common/src/roles.ts). */
export type Role = JsonBody<paths['/api/v1/members/{userId}']['patch']>['role'];
/** The roles, highest first, for pickers; `satisfies` and the check below keep it equal to the document's enum. */
export const ROLES = ['owner', 'admin', 'editor', 'viewer'] as const satisfies readonly Role[];
type MissingRole = Exclude<Role, (typeof ROLES)[number]>;
const everyRoleListed: MissingRole extends never ? true : MissingRole = true;
void everyRoleListed;

/**
 * The document types some fields loosely (a role as a string, an attempt's classification or an inbox item's
 * evidence as unknown): `Narrow` keeps the generated view and replaces only those fields with the shape the
 * API's own contracts give them (each use says which).
 */
type Narrow<T, Fields> = Omit<T, keyof Fields> & Fields;

/** What a role may do; `GET /me` lists the caller's (the document says `string[]`; libs/common/src/roles.ts owns them). */
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

/** `GET /me`, `POST /auth/login`, …: the signed-in user, the current workspace and what the caller may do. */
export type SessionInfo = Narrow<
  Schemas['Profile'],
  { user: Narrow<Schemas['Profile']['user'], { role: Role }>; permissions: Permission[] }
>;
export type User = SessionInfo['user'];
export type Workspace = SessionInfo['workspace'];
/** `role` is absent when the caller has none there (the document makes it optional). */
export type WorkspaceSummary = Narrow<Schemas['Workspace'], { role?: Role }>;
export type Member = Narrow<Schemas['Member'], { role: Role }>;
export type Invitation = Narrow<Schemas['Invitation'], { role: Role }>;
export type CreatedInvitation = Narrow<Schemas['CreatedInvitation'], { role: Role }>;
export type InvitationPreview = Narrow<Schemas['InvitationPreview'], { role: Role }>;
/** `data` is the audited action's own record, always an object (the audit trail writes one; the document says any JSON). */
export type AuditEntry = Narrow<Schemas['AuditEntry'], { data: Record<string, unknown> }>;

/** The query parameters of a GET, as the document declares them. */
type QueryOf<P extends keyof paths> = NonNullable<
  paths[P] extends { get: { parameters: { query?: infer Q } } } ? Q : never
>;
/** GET /api/v1/runs: filters and page. */
export type RunsListQuery = QueryOf<'/api/v1/runs'>;
/** GET /api/v1/inbox. */
export type InboxListQuery = QueryOf<'/api/v1/inbox'>;
export type AuditQuery = QueryOf<'/api/v1/audit'>;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
export interface Items<T> {
  items: T[];
}

export type VersionSummary = Schemas['VersionSummary'];
export type VersionAuthor = VersionSummary['createdBy'];
/** A version's script language; a TypeScript source is shown (and its errors located) as written. */
export type ScriptLanguage = VersionSummary['language'];
export type Version = Schemas['Version'];

export type AutomationStats = Schemas['AutomationStats'];
/** `GET /automations` lists automations with their stats. */
export type Automation = Schemas['AutomationWithStats'];
/** `GET /automations/{id}` adds the stats; a write (create, update, rollback, import) answers without them. */
export type AutomationDetail = Schemas['AutomationDetail'] &
  Partial<Pick<Schemas['AutomationDetailWithStats'], 'stats'>>;

/** The run fields the document leaves open, with the contracts' shapes (the engine writes them). */
interface RunNarrowing {
  waitingFor: RunWaitingFor | null;
  triggerContext: RunTriggerContext | null;
}
export type RunSummary = Narrow<Schemas['RunSummary'], RunNarrowing>;
export type RunDetail = Narrow<Schemas['Run'], RunNarrowing & { attempts?: Attempt[] }>;
export type Attempt = Narrow<Schemas['Attempt'], { classification: Classification | null }>;
export type RunEvent = Schemas['RunEvent'];
export type LogLine = Schemas['RunLogLine'];
export type AttemptLogs = Schemas['AttemptLogs'];

/**
 * An attempt's failure classification. The document leaves it `unknown` (the classifier's result is the
 * failure library's); this is the part the dashboard reads, narrowed where it is shown.
 */
export interface Classification {
  class: FailureClass | (string & {});
  reason: string;
  evidence?: unknown;
  action?: unknown;
  rule?: string;
}
/** Where a triggered run came from (the document leaves `triggerContext` open; the shape is the contracts'). */
export type { RunTriggerContext };

export type InboxItem = Narrow<
  Schemas['InboxItem'],
  { actions: InboxAction[]; evidence: Record<string, unknown> | null }
>;

/** What an approval request asks for: the capabilities the run may use once approved. */
export type ApprovalCaps = ContractApprovalCaps;
/** The evidence of an `approval` inbox item (the document leaves `evidence` open). */
export interface ApprovalEvidence {
  title: string;
  details?: string;
  caps?: ApprovalCaps;
  expiresAt: string;
  attempt: number;
  /** Who started the run (the engine stores `{ kind, id }`); null for a schedule or a webhook. */
  startedBy?: { kind: 'user' | 'api_key'; id: string } | null;
}
export type ResolveInboxBody = JsonBody<paths['/api/v1/inbox/{id}/resolve']['post']>;

export type Secret = Schemas['Secret'];
/** A secret an agent asked for (MCP request_secret): a name and a purpose, never a value. */
export type SecretRequest = Schemas['SecretRequest'];
export type ApiKey = Narrow<Schemas['ApiKey'], { role: Role }>;
export type CreatedApiKey = Narrow<Schemas['CreatedApiKey'], { role: Role }>;

export type Repair = Schemas['RepairSummary'];
export type RepairDetail = Schemas['Repair'];

/** GET /automations/:id/triggers: the deployed triggers, with a schedule's next fire times and last runs. */
export type AutomationTrigger = Narrow<
  Schemas['Trigger'],
  { config: Record<string, unknown> & { type: TriggerKind } }
>;
/** GET /automations/:id/webhook: never the token itself. */
export type WebhookInfo = Schemas['Webhook'];
/** POST /automations/:id/webhook/token: shown once. */
export type WebhookToken = Schemas['WebhookToken'];

export type NotificationChannel = Schemas['NotificationChannel'];
/** POST /notification-channels: a webhook channel's signing secret is shown once. */
export type CreatedNotificationChannel = Schemas['SavedNotificationChannel'];
export type NewNotificationChannel = JsonBody<paths['/api/v1/notification-channels']['post']>;
/** `message` is what the channel was sent (the notifier's rendering; the document leaves it open). */
export type NotificationDelivery = Narrow<
  Schemas['NotificationDelivery'],
  { message: { title?: string; text?: string; url?: string } & Record<string, unknown> }
>;

export type Overview = Schemas['StatsOverview'];

export type Diagnostic = Schemas['LintDiagnostic'];

export type {
  Bundle,
  InboxAction,
  InboxStatus,
  NotificationChannelKind,
  NotificationTopic,
  SigningKey,
  TrustedPublisher,
};

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

export function setCsrfToken(token: string | null | undefined): void {
  csrfToken = token ?? null;
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
