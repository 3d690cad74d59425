/**
 * The browser's client for the Mendflow HTTP API (v1).
 *
 * Requests go to the web app's own origin (`/api/v1/...`); the web server forwards them to the API (see
 * proxy.ts), so there is no CORS and no API address in the bundle. The dashboard authenticates with the
 * httpOnly session cookie set by `POST /auth/login`; every write carries the session's CSRF token in
 * `x-csrf-token`. API keys remain for scripts and agents.
 *
 * Every call goes through @mendflow/sdk's client, typed by the served OpenAPI document: the paths, parameters
 * and bodies below are checked at compile time, and the exported types are the document's schemas.
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
import { createMendflowClient, type MendflowClient, MendflowApiError } from '@mendflow/sdk';
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
/** `role` is absent in the answer to creating or renaming a workspace (the document makes it optional). */
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
export type Retention = Schemas['Retention'];
export type RetentionSettingsBody = JsonBody<paths['/api/v1/workspaces/current/retention']['put']>;

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

/** The SDK's error (status, the envelope's stable code, details); status 0 when no answer came. */
export class ApiError extends MendflowApiError {
  override readonly name = 'ApiError';

  get isUnauthenticated(): boolean {
    return this.status === 401;
  }
}

/** The API's error envelope: `{ error: { code, message, details } }` (the document's `Error` schema). */
function isErrorBody(value: unknown): value is Schemas['Error'] {
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

/** The query string of a request: empty values (a cleared filter) are left out rather than sent as `x=`. */
export function serializeQuery(query: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  return params.toString();
}

async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (isErrorBody(body))
    return new ApiError(response.status, body.error.code, body.error.message, body.error.details);
  if (response.status >= 500) {
    return new ApiError(
      response.status,
      'API_UNAVAILABLE',
      `The API did not answer (HTTP ${response.status}).`,
    );
  }
  return new ApiError(
    response.status,
    'BAD_RESPONSE',
    `Unexpected answer from the API (HTTP ${response.status}).`,
  );
}

/**
 * The dashboard's session on every request: the CSRF token on writes (the cookie travels by itself), and
 * answers turned into {@link ApiError}s the components and react-query hooks already handle.
 */
const session: Parameters<MendflowClient['use']>[0] = {
  onRequest({ request }) {
    request.headers.set('accept', 'application/json');
    if (request.method !== 'GET' && csrfToken) request.headers.set('x-csrf-token', csrfToken);
    return request;
  },
  async onResponse({ response }) {
    if (!response.ok) throw await errorOf(response);
    const type = response.headers.get('content-type') ?? '';
    if (response.status !== 204 && response.headers.get('content-length') !== '0' && !type.includes('json')) {
      throw new ApiError(response.status, 'BAD_RESPONSE', 'The API answered with something other than JSON.');
    }
    return undefined;
  },
  onError({ error }) {
    if (error instanceof DOMException && error.name === 'AbortError') return error;
    return new ApiError(0, 'NETWORK_ERROR', 'Could not reach the Mendflow server. Check your connection.');
  },
};

let shared: MendflowClient | null = null;

/**
 * The SDK client on the web app's own origin (`/api/v1/...`, forwarded by proxy.ts), created on first use:
 * the origin is the browser's, so the client only exists where requests are made.
 */
function client(): MendflowClient {
  if (shared) return shared;
  const origin = globalThis.location?.origin;
  if (!origin) throw new ApiError(0, 'NETWORK_ERROR', 'The Mendflow API is only called from the browser.');
  shared = createMendflowClient({
    baseUrl: origin,
    credentials: 'same-origin',
    cache: 'no-store',
    querySerializer: serializeQuery,
    // Looked up per request rather than captured once, so a replaced fetch (tests) is the one used.
    fetch: (request: Request) => globalThis.fetch(request),
  });
  shared.use(session);
  return shared;
}

interface CallOptions {
  /** Do not treat a 401 as "the session ended" (sign-in itself answers 401 for a wrong password). */
  quietUnauthenticated?: boolean;
}

/**
 * Runs one SDK call and returns its body (undefined for 204), or throws an {@link ApiError}. A write refused
 * for a stale CSRF token (another tab signed in again) is retried once with a fresh token from `/me`.
 */
async function call<T>(attempt: () => Promise<{ data?: T }>, options: CallOptions = {}): Promise<T> {
  try {
    try {
      return await body(attempt);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 'CSRF_TOKEN_INVALID')) throw err;
      const me = await client()
        .GET('/api/v1/me')
        .catch(() => null);
      if (!me?.data?.csrfToken) throw err;
      setCsrfToken(me.data.csrfToken);
      return await body(attempt);
    }
  } catch (err) {
    if (err instanceof ApiError && err.status === 401 && !options.quietUnauthenticated) onUnauthenticated?.();
    throw err;
  }
}

async function body<T>(attempt: () => Promise<{ data?: T }>): Promise<T> {
  try {
    return (await attempt()).data as T;
  } catch (err) {
    // A body labelled JSON that does not parse.
    if (err instanceof SyntaxError)
      throw new ApiError(0, 'BAD_RESPONSE', 'The API answered with malformed JSON.');
    throw err;
  }
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(0, 'UNEXPECTED', err instanceof Error ? err.message : String(err));
}

// ---- endpoints -------------------------------------------------------------------------------------
// Each goes through a typed path of the document: a wrong path, parameter or body does not compile. Where
// the web type narrows a field the document leaves open (see Narrow above), the answer is cast to it.

const id = (value: string) => ({ path: { id: value } });

export const api = {
  login: (email: string, password: string) =>
    call(() => client().POST('/api/v1/auth/login', { body: { email, password } }), {
      quietUnauthenticated: true,
    }) as Promise<SessionInfo>,
  logout: () => call(() => client().POST('/api/v1/auth/logout'), { quietUnauthenticated: true }),
  me: (signal?: AbortSignal) =>
    call(() => client().GET('/api/v1/me', { signal }), {
      quietUnauthenticated: true,
    }) as Promise<SessionInfo>,

  overview: (hours = 24, signal?: AbortSignal) =>
    call(() => client().GET('/api/v1/stats/overview', { params: { query: { hours } }, signal })),

  automations: (query: { limit?: number; cursor?: string } = {}, signal?: AbortSignal) =>
    call(() =>
      client().GET('/api/v1/automations', {
        params: { query: { limit: query.limit ?? 100, cursor: query.cursor } },
        signal,
      }),
    ),
  automation: (automationId: string, signal?: AbortSignal) =>
    call(() => client().GET('/api/v1/automations/{id}', { params: id(automationId), signal })),
  createAutomation: (body: JsonBody<paths['/api/v1/automations']['post']>) =>
    call(() => client().POST('/api/v1/automations', { body })),
  updateAutomation: (automationId: string, body: JsonBody<paths['/api/v1/automations/{id}']['patch']>) =>
    call(() => client().PATCH('/api/v1/automations/{id}', { params: id(automationId), body })),
  versions: (automationId: string, signal?: AbortSignal) =>
    call(() => client().GET('/api/v1/automations/{id}/versions', { params: id(automationId), signal })),
  rollback: (automationId: string, version: number) =>
    call(() =>
      client().POST('/api/v1/automations/{id}/rollback', { params: id(automationId), body: { version } }),
    ),
  startRun: (automationId: string, input: unknown) =>
    call(() =>
      client().POST('/api/v1/automations/{id}/runs', { params: id(automationId), body: { input } }),
    ) as Promise<RunDetail>,

  runs: (query: RunsListQuery = {}, signal?: AbortSignal) =>
    call(() =>
      client().GET('/api/v1/runs', { params: { query: { limit: 50, ...query } }, signal }),
    ) as Promise<Page<RunSummary>>,
  run: (runId: string, signal?: AbortSignal) =>
    call(() => client().GET('/api/v1/runs/{id}', { params: id(runId), signal })) as Promise<RunDetail>,
  runEvents: (runId: string, after = 0, signal?: AbortSignal) =>
    call(() =>
      client().GET('/api/v1/runs/{id}/events', { params: { path: { id: runId }, query: { after } }, signal }),
    ),
  runLogs: (runId: string, signal?: AbortSignal) =>
    call(() => client().GET('/api/v1/runs/{id}/logs', { params: id(runId), signal })),
  cancelRun: (runId: string, reason?: string) =>
    call(() =>
      client().POST('/api/v1/runs/{id}/cancel', { params: id(runId), body: reason ? { reason } : undefined }),
    ) as Promise<RunDetail>,
  retryRun: (runId: string) =>
    call(() => client().POST('/api/v1/runs/{id}/retry', { params: id(runId) })) as Promise<RunDetail>,

  inbox: (query: InboxListQuery = {}, signal?: AbortSignal) =>
    call(() =>
      client().GET('/api/v1/inbox', { params: { query: { limit: 100, ...query } }, signal }),
    ) as Promise<Items<InboxItem>>,
  resolveInbox: (itemId: string, body: ResolveInboxBody) =>
    call(() =>
      client().POST('/api/v1/inbox/{id}/resolve', { params: id(itemId), body }),
    ) as Promise<InboxItem>,

  secrets: (signal?: AbortSignal) => call(() => client().GET('/api/v1/secrets', { signal })),
  secretRequests: (signal?: AbortSignal) => call(() => client().GET('/api/v1/secret-requests', { signal })),
  putSecret: (name: string, value: string) =>
    call(() => client().PUT('/api/v1/secrets/{name}', { params: { path: { name } }, body: { value } })),
  deleteSecret: (name: string) =>
    call(() => client().DELETE('/api/v1/secrets/{name}', { params: { path: { name } } })),

  apiKeys: (signal?: AbortSignal) =>
    call(() => client().GET('/api/v1/api-keys', { signal })) as Promise<Items<ApiKey>>,
  createApiKey: (body: JsonBody<paths['/api/v1/api-keys']['post']>) =>
    call(() => client().POST('/api/v1/api-keys', { body })) as Promise<CreatedApiKey>,
  revokeApiKey: (keyId: string) =>
    call(() => client().DELETE('/api/v1/api-keys/{id}', { params: id(keyId) })),

  workspaces: (signal?: AbortSignal) =>
    call(() => client().GET('/api/v1/workspaces', { signal })) as Promise<Items<WorkspaceSummary>>,
  createWorkspace: (name: string) =>
    call(() => client().POST('/api/v1/workspaces', { body: { name } })) as Promise<WorkspaceSummary>,
  switchWorkspace: (workspaceId: string) =>
    call(() =>
      client().POST('/api/v1/workspaces/{id}/switch', { params: id(workspaceId) }),
    ) as Promise<SessionInfo>,
  leaveWorkspace: (workspaceId: string) =>
    call(() => client().POST('/api/v1/workspaces/{id}/leave', { params: id(workspaceId) })),
  renameWorkspace: (name: string) =>
    call(() => client().PATCH('/api/v1/workspaces/current', { body: { name } })) as Promise<WorkspaceSummary>,
  retention: (signal?: AbortSignal) =>
    call(() => client().GET('/api/v1/workspaces/current/retention', { signal })),
  setRetention: (body: RetentionSettingsBody) =>
    call(() => client().PUT('/api/v1/workspaces/current/retention', { body })),

  members: (signal?: AbortSignal) =>
    call(() => client().GET('/api/v1/members', { signal })) as Promise<Items<Member>>,
  changeMemberRole: (userId: string, role: Role) =>
    call(() =>
      client().PATCH('/api/v1/members/{userId}', { params: { path: { userId } }, body: { role } }),
    ) as Promise<Member>,
  removeMember: (userId: string) =>
    call(() => client().DELETE('/api/v1/members/{userId}', { params: { path: { userId } } })),
  invitations: (signal?: AbortSignal) =>
    call(() => client().GET('/api/v1/invitations', { signal })) as Promise<Items<Invitation>>,
  invite: (body: JsonBody<paths['/api/v1/invitations']['post']>) =>
    call(() => client().POST('/api/v1/invitations', { body })) as Promise<CreatedInvitation>,
  revokeInvitation: (invitationId: string) =>
    call(() => client().DELETE('/api/v1/invitations/{id}', { params: id(invitationId) })),
  previewInvitation: (token: string, signal?: AbortSignal) =>
    call(() => client().POST('/api/v1/invitations/preview', { body: { token }, signal }), {
      quietUnauthenticated: true,
    }) as Promise<InvitationPreview>,
  acceptInvitation: (token: string, password: string) =>
    call(() => client().POST('/api/v1/invitations/accept', { body: { token, password } }), {
      quietUnauthenticated: true,
    }) as Promise<SessionInfo>,
  joinInvitation: (token: string) =>
    call(() => client().POST('/api/v1/invitations/join', { body: { token } })) as Promise<SessionInfo>,

  audit: (query: AuditQuery = {}, signal?: AbortSignal) =>
    call(() =>
      client().GET('/api/v1/audit', { params: { query: { limit: 50, ...query } }, signal }),
    ) as Promise<Page<AuditEntry>>,

  triggers: (automationId: string, signal?: AbortSignal) =>
    call(() =>
      client().GET('/api/v1/automations/{id}/triggers', { params: id(automationId), signal }),
    ) as Promise<Items<AutomationTrigger>>,
  webhook: (automationId: string, signal?: AbortSignal) =>
    call(() => client().GET('/api/v1/automations/{id}/webhook', { params: id(automationId), signal })),
  rotateWebhookToken: (automationId: string) =>
    call(() => client().POST('/api/v1/automations/{id}/webhook/token', { params: id(automationId) })),

  notificationChannels: (signal?: AbortSignal) =>
    call(() => client().GET('/api/v1/notification-channels', { signal })),
  createNotificationChannel: (body: NewNotificationChannel) =>
    call(() => client().POST('/api/v1/notification-channels', { body })),
  updateNotificationChannel: (
    channelId: string,
    body: JsonBody<paths['/api/v1/notification-channels/{id}']['patch']>,
  ) => call(() => client().PATCH('/api/v1/notification-channels/{id}', { params: id(channelId), body })),
  deleteNotificationChannel: (channelId: string) =>
    call(() => client().DELETE('/api/v1/notification-channels/{id}', { params: id(channelId) })),
  testNotificationChannel: (channelId: string) =>
    call(() => client().POST('/api/v1/notification-channels/{id}/test', { params: id(channelId) })),
  notificationDeliveries: (query: QueryOf<'/api/v1/notification-deliveries'>, signal?: AbortSignal) =>
    call(() =>
      client().GET('/api/v1/notification-deliveries', { params: { query: { limit: 20, ...query } }, signal }),
    ) as Promise<Page<NotificationDelivery>>,

  // Signed bundles (docs/bundles.md): the shapes are the contracts' (Bundle, SigningKey, TrustedPublisher).
  exportBundle: (automationId: string) =>
    call(() => client().GET('/api/v1/automations/{id}/bundle', { params: id(automationId) })),
  importBundle: (body: JsonBody<paths['/api/v1/automations/import']['post']>) =>
    call(() => client().POST('/api/v1/automations/import', { body })),
  signingKey: (signal?: AbortSignal) => call(() => client().GET('/api/v1/signing-key', { signal })),
  trustedPublishers: (signal?: AbortSignal) =>
    call(() => client().GET('/api/v1/trusted-publishers', { signal })),
  addTrustedPublisher: (body: JsonBody<paths['/api/v1/trusted-publishers']['post']>) =>
    call(() => client().POST('/api/v1/trusted-publishers', { body })),
  removeTrustedPublisher: (publisherId: string) =>
    call(() => client().DELETE('/api/v1/trusted-publishers/{id}', { params: id(publisherId) })),

  repairs: (query: QueryOf<'/api/v1/repairs'>, signal?: AbortSignal) =>
    call(() => client().GET('/api/v1/repairs', { params: { query }, signal })),
  repair: (repairId: string, signal?: AbortSignal) =>
    call(() => client().GET('/api/v1/repairs/{id}', { params: id(repairId), signal })),
};
