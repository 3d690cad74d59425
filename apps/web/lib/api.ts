/**
 * A small client for the Mendflow HTTP API (v1), used from the browser.
 *
 * Requests go to the web app's own origin (`/api/v1/...`); the web server forwards them to the API
 * (see proxy.ts), so there is no CORS and no API address in the browser bundle.
 */

export const RUN_STATUSES = [
  'queued',
  'running',
  'retry_scheduled',
  'repairing',
  'waiting',
  'action_needed',
  'succeeded',
  'failed',
  'cancelled',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export type RunTrigger = 'manual' | 'api' | 'cron' | 'webhook' | 'retry' | 'repair' | (string & {});

export interface RunError {
  name: string;
  message: string;
}

export interface RunSummary {
  id: string;
  automationId: string;
  automationName: string;
  status: RunStatus;
  trigger: RunTrigger;
  versionNumber: number;
  createdAt: string;
  finishedAt: string | null;
  error: RunError | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The API's error envelope: `{ error: { code, message, details } }`. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** Codes the client produces itself when no envelope came back. */
export type ClientErrorCode = 'NETWORK_ERROR' | 'BAD_RESPONSE' | 'API_UNAVAILABLE';

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

  /** The API refused the credentials (missing, unknown or revoked key). */
  get isUnauthenticated(): boolean {
    return this.status === 401 || this.code === 'UNAUTHENTICATED';
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

export interface RequestOptions {
  apiKey: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  signal?: AbortSignal;
}

/** Calls `/api/v1${path}` and returns the parsed JSON body, or throws an {@link ApiError}. */
export async function apiRequest<T>(path: string, options: RequestOptions): Promise<T> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined) params.set(key, String(value));
  }
  const queryString = params.toString();
  const search = queryString ? `?${queryString}` : '';
  const headers: Record<string, string> = {
    accept: 'application/json',
    authorization: `Bearer ${options.apiKey}`,
  };
  if (options.body !== undefined) headers['content-type'] = 'application/json';

  let response: Response;
  try {
    response = await fetch(`/api/v1${path}${search}`, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      cache: 'no-store',
      signal: options.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK_ERROR', 'Could not reach the Mendflow web server.');
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
    if (isErrorBody(body)) {
      throw new ApiError(response.status, body.error.code, body.error.message, body.error.details);
    }
    if (response.status >= 500) {
      // The proxy answers without an envelope when the API itself does not answer.
      throw new ApiError(response.status, 'API_UNAVAILABLE', `The API did not answer (HTTP ${response.status}).`);
    }
    throw new ApiError(response.status, 'BAD_RESPONSE', `Unexpected answer from the API (HTTP ${response.status}).`);
  }
  if (body === undefined) {
    throw new ApiError(response.status, 'BAD_RESPONSE', 'The API answered with something other than JSON.');
  }
  return body as T;
}

export interface ListRunsParams {
  limit?: number;
  cursor?: string;
  status?: RunStatus;
  automationId?: string;
}

export function listRuns(apiKey: string, params: ListRunsParams = {}, signal?: AbortSignal): Promise<Page<RunSummary>> {
  return apiRequest<Page<RunSummary>>('/runs', {
    apiKey,
    query: { limit: params.limit ?? 50, cursor: params.cursor, status: params.status, automationId: params.automationId },
    signal,
  });
}
