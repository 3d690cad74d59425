import {
  type components,
  createMendflowClient,
  MendflowApiError,
  type MendflowClient,
  restRunReader,
  type RunReader,
  unwrap,
} from '@mendflow/sdk';
import { type Credentials, type Env, resolveCredentials } from './config';
import { CliError, EXIT } from './output';

/** The API as the CLI uses it: the SDK's client, typed by the served OpenAPI document. */
export interface Api {
  credentials: Credentials;
  client: MendflowClient;
  runs: RunReader;
}

export function apiFor(credentials: Credentials): Api {
  const client = createMendflowClient({ baseUrl: credentials.apiUrl, apiKey: credentials.apiKey });
  return { credentials, client, runs: restRunReader(client) };
}

export async function connect(env: Env): Promise<Api> {
  return apiFor(await resolveCredentials(env));
}

/** An API answer (typed as the document's success body), or a CliError with the envelope's code (401/403: exit 3). */
export async function call<T>(
  pending: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  try {
    return await unwrap(pending);
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

type Schemas = components['schemas'];
/** An automation as the list answers it (its deployed version without the source). */
export type AutomationSummary = Schemas['AutomationWithStats'];
/** An automation with its deployed version's source, manifest and language. */
export type AutomationDetail = Schemas['AutomationDetail'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function listAutomations(api: Api): Promise<AutomationSummary[]> {
  const all: AutomationSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await call(
      api.client.GET('/api/v1/automations', {
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
    return await call(api.client.GET('/api/v1/automations/{id}', { params: { path: { id } } }));
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
