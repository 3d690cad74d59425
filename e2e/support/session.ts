import type { ApiResponse } from './client.ts';
import { servedContract } from './contract.ts';
import { ADMIN } from './stack.ts';

export interface SessionAnswer<T = any> extends ApiResponse<T> {
  headers: Headers;
}

/** A signed-in dashboard user over HTTP: the session cookie, and the CSRF token on every write. */
export interface SessionClient {
  cookie: string;
  csrfToken: string;
  /** What sign-in (or acceptance) answered: user, workspace, permissions, csrfToken. */
  profile: any;
  call<T = any>(method: string, path: string, body?: unknown): Promise<SessionAnswer<T>>;
}

/**
 * Raw HTTP against the API: no credential unless given in `headers`, response headers kept. Answers are
 * checked against the served OpenAPI document like the key client's (support/contract.ts).
 */
export async function http<T = any>(
  apiUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<SessionAnswer<T>> {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: {
      ...(options.body !== undefined && { 'content-type': 'application/json' }),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  const breach = (await servedContract(apiUrl)).check(method, path, response.status, body);
  if (breach) throw new Error(`contract breach: ${breach}`);
  return { status: response.status, body, headers: response.headers };
}

/** A session from an answer that set the mf_session cookie (sign-in, invitation acceptance). */
export function sessionFrom(apiUrl: string, answer: SessionAnswer): SessionClient {
  const setCookie = answer.headers.getSetCookie().find((c) => c.startsWith('mf_session='));
  if (answer.status !== 200 || !setCookie) {
    throw new Error(`no session: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  const cookie = setCookie.split(';')[0]!;
  const session: SessionClient = {
    cookie,
    csrfToken: answer.body.csrfToken as string,
    profile: answer.body,
    call: (method, path, body) =>
      http(apiUrl, method, path, {
        body,
        headers: { cookie, ...(method !== 'GET' && { 'x-csrf-token': session.csrfToken }) },
      }),
  };
  return session;
}

export async function signIn(apiUrl: string, email = ADMIN.email, password = ADMIN.password) {
  return sessionFrom(apiUrl, await http(apiUrl, 'POST', '/api/v1/auth/login', { body: { email, password } }));
}
