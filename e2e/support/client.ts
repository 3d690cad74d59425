import { servedContract } from './contract.ts';
import { BOOTSTRAP_KEY } from './stack.ts';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

/**
 * A tiny HTTP client for tests: JSON in, JSON out, the bootstrap key unless told otherwise. Every answer
 * is checked against the served OpenAPI document (support/contract.ts): an undocumented status or a body
 * that does not match its documented schema fails the test that saw it.
 */
export function apiClient(baseUrl: string, key: string | null = BOOTSTRAP_KEY) {
  return async function call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...(key && { authorization: `Bearer ${key}` }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    const parsed = text ? JSON.parse(text) : null;
    const breach = (await servedContract(baseUrl)).check(method, path, response.status, parsed);
    if (breach) throw new Error(`contract breach: ${breach}`);
    return { status: response.status, body: parsed };
  };
}

export type Api = ReturnType<typeof apiClient>;

// Where a run rests until something outside it happens: finished, or waiting for a person.
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'action_needed']);

/** Polls a run until it reaches one of `statuses` (default: finished or waiting for a person). */
export async function waitForRun(
  api: Api,
  runId: string,
  statuses: string[] = [...TERMINAL],
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await api('GET', `/api/v1/runs/${runId}`);
    if (status !== 200) throw new Error(`GET run answered ${status}: ${JSON.stringify(body)}`);
    if (statuses.includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${body.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
