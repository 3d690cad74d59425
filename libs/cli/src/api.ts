import {
  createMendflowClient,
  MendflowApiError,
  type MendflowClient,
  restRunReader,
  type RunReader,
  unwrap,
} from '@mendflow/sdk';
import { type Credentials, type Env, resolveCredentials } from './config';
import { CliError, EXIT } from './output';

/**
 * The API as the CLI uses it: the SDK's typed client, plus narrow local shapes for the answers (the
 * served document does not describe response bodies yet; these are the fields the CLI reads).
 */
export interface Api {
  credentials: Credentials;
  client: MendflowClient;
  runs: RunReader;
  /** For routes the generated types do not know yet (bundles, `language`): same client, untyped. */
  loose: LooseClient;
}

type LooseInit = {
  params?: { path?: Record<string, string>; query?: Record<string, unknown> };
  body?: unknown;
};
type LooseCall = (
  path: string,
  init?: LooseInit,
) => Promise<{ data?: unknown; error?: unknown; response: Response }>;
export interface LooseClient {
  GET: LooseCall;
  POST: LooseCall;
  PUT: LooseCall;
}

export function apiFor(credentials: Credentials): Api {
  const client = createMendflowClient({ baseUrl: credentials.apiUrl, apiKey: credentials.apiKey });
  return { credentials, client, runs: restRunReader(client), loose: client as unknown as LooseClient };
}

export async function connect(env: Env): Promise<Api> {
  return apiFor(await resolveCredentials(env));
}

/** An API answer, or a CliError with the envelope's code (401/403: exit 3). */
export async function call<T>(
  pending: Promise<{ data?: unknown; error?: unknown; response: Response }>,
): Promise<T> {
  try {
    return (await unwrap(pending)) as T;
  } catch (error) {
    throw asCliError(error);
  }
}

export function asCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof MendflowApiError) {
    // 401: no valid key; 403 FORBIDDEN: the key's role lacks the permission. Other 403s are refusals.
    const auth = error.status === 401 || (error.status === 403 && error.code === 'FORBIDDEN');
    return new CliError(
      `${error.code}: ${error.message}`,
      auth ? EXIT.auth : EXIT.failed,
      error.code,
      error.details,
    );
  }
  const cause = (error as { cause?: { code?: string } })?.cause;
  if (error instanceof TypeError && cause?.code) {
    return new CliError(`cannot reach the API (${cause.code})`, EXIT.failed, 'API_UNREACHABLE');
  }
  return new CliError(error instanceof Error ? error.message : String(error), EXIT.failed, 'CLI_ERROR');
}

export interface AutomationSummary {
  id: string;
  name: string;
  status: string;
  latestVersion: number;
  deployedVersion: { number: number } | null;
}
export interface AutomationDetail extends Omit<AutomationSummary, 'deployedVersion'> {
  description: string | null;
  deployedVersion: { number: number; source: string; manifest: unknown; language?: string } | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function listAutomations(api: Api): Promise<AutomationSummary[]> {
  const all: AutomationSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await call<{ items: AutomationSummary[]; nextCursor: string | null }>(
      api.loose.GET('/api/v1/automations', {
        params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } },
      }),
    );
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all;
}

/** An automation by id, or by its exact name; undefined when there is none. */
export async function findAutomation(api: Api, ref: string): Promise<AutomationDetail | undefined> {
  let id: string | undefined = UUID.test(ref) ? ref : undefined;
  if (!id) id = (await listAutomations(api)).find((automation) => automation.name === ref)?.id;
  if (!id) return undefined;
  try {
    return await call<AutomationDetail>(
      api.client.GET('/api/v1/automations/{id}', { params: { path: { id } } }),
    );
  } catch (error) {
    if (error instanceof CliError && error.code === 'AUTOMATION_NOT_FOUND') return undefined;
    throw error;
  }
}

export async function getAutomation(api: Api, ref: string): Promise<AutomationDetail> {
  const automation = await findAutomation(api, ref);
  if (!automation)
    throw new CliError(`no automation named or with id "${ref}"`, EXIT.failed, 'AUTOMATION_NOT_FOUND');
  return automation;
}
