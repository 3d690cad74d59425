import createClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch';
import type { components, paths } from './openapi';

/** The error envelope every Mendflow error answer carries: `{ error: { code, message, details, requestId } }`. */
export type ApiErrorBody = components['schemas']['Error'];

/** A non-2xx answer from the API, with its stable code (e.g. `AUTOMATION_NOT_FOUND`). */
export class MendflowApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'MendflowApiError';
  }
}

export interface MendflowClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** Where the API listens, e.g. `http://localhost:3001` (the dashboard passes its own origin). */
  baseUrl: string;
  /** An API key (`mf_…`): sent as `Authorization: Bearer …`. The dashboard uses its session cookie instead. */
  apiKey?: string;
}

export type MendflowClient = Client<paths>;

/**
 * A client typed by the served OpenAPI document: `client.GET('/api/v1/runs/{id}', { params: { path: { id } } })`
 * answers `{ data, error, response }` with `data` typed as the documented 200 body.
 */
export function createMendflowClient(options: MendflowClientOptions): MendflowClient {
  const { apiKey, baseUrl, ...rest } = options;
  const client = createClient<paths>({ ...rest, baseUrl: baseUrl.replace(/\/+$/, '') });
  if (apiKey) client.use(bearer(apiKey));
  return client;
}

function bearer(apiKey: string): Middleware {
  return {
    onRequest({ request }) {
      request.headers.set('authorization', `Bearer ${apiKey}`);
      return request;
    },
  };
}

/**
 * The body of a successful answer, or a MendflowApiError carrying the envelope's code: for callers that
 * prefer exceptions to `{ data, error }`.
 */
export async function unwrap<T>(
  pending: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await pending;
  if (response.ok) return data as T;
  const envelope = (error ?? {}) as Partial<ApiErrorBody>;
  throw new MendflowApiError(
    response.status,
    envelope.error?.code ?? `HTTP_${response.status}`,
    envelope.error?.message ?? response.statusText,
    envelope.error?.details,
  );
}
