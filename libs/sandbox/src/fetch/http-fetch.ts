/**
 * ctx.fetch on the host: one request with manual redirects, where every hop is checked against the
 * manifest's hosts and the address policy *after* DNS resolution, and the connection is made to the
 * very address that was checked (no second lookup an attacker's DNS could answer differently).
 * Time covers DNS, connect, every hop and the body; size covers the decoded body.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { AddressPolicy } from './address-policy';
import type { HostMatcher } from '@mendflow/common/host-patterns';

export interface LookupAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has; injectable so tests can play DNS. */
export type LookupFn = (hostname: string) => Promise<LookupAddress[]>;

export const systemLookup: LookupFn = async (hostname) => {
  const answers = await dns.promises.lookup(hostname, { all: true, verbatim: true });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export interface FetchRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  redirect: 'follow' | 'manual' | 'error';
}

export interface FetchResponse {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: string;
  url: string;
  redirected: boolean;
}

/** Why a fetch failed: `policy` refusals, `request` mistakes by the script, `network` trouble. */
export type FetchFailureKind = 'policy' | 'request' | 'network';

export class FetchFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly kind: FetchFailureKind,
  ) {
    super(message);
  }
}

export interface FetchEnvironment {
  hostAllowed: HostMatcher;
  addressPolicy: AddressPolicy;
  lookup: LookupFn;
  timeoutMs: number;
  maxResponseBytes: number;
  maxRedirects: number;
  /** Aborted when the attempt ends, so no request outlives it. */
  signal: AbortSignal;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const METHOD_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const REFUSED_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);
/** Headers the sandbox computes itself; a script setting them could smuggle requests or lie about the host. */
const CONTROLLED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-connection',
]);
/** Credentials a redirect to another origin must not carry (as browsers' fetch does). */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

export async function httpFetch(request: FetchRequest, env: FetchEnvironment): Promise<FetchResponse> {
  let url = parseUrl(request.url);
  let method = request.method.toUpperCase();
  if (!METHOD_TOKEN.test(method) || REFUSED_METHODS.has(method)) {
    throw new FetchFailure(
      'INVALID_REQUEST',
      `ctx.fetch: method "${request.method}" is not allowed`,
      'request',
    );
  }
  let headers = prepareHeaders(request.headers);
  let body = request.body;

  const controller = new AbortController();
  const onOuterAbort = () =>
    controller.abort(new FetchFailure('ABORTED', 'the attempt ended before the fetch completed', 'network'));
  if (env.signal.aborted) onOuterAbort();
  env.signal.addEventListener('abort', onOuterAbort, { once: true });
  const timer = setTimeout(
    () =>
      controller.abort(
        new FetchFailure(
          'ETIMEDOUT',
          `${method} ${request.url} timed out after ${env.timeoutMs} ms`,
          'network',
        ),
      ),
    env.timeoutMs,
  );
  const signal = controller.signal;

  try {
    for (let hop = 0; ; hop++) {
      checkUrl(url, env);
      const target = await vet(url, env, signal);
      const response = await exchange(url, target, method, headers, body, signal);
      const location = response.headers.location;
      if (
        REDIRECT_STATUSES.has(response.statusCode ?? 0) &&
        location !== undefined &&
        request.redirect !== 'manual'
      ) {
        response.destroy();
        if (request.redirect === 'error') {
          throw new FetchFailure(
            'REDIRECT_NOT_ALLOWED',
            `${request.url} redirected, and redirect: "error" was set`,
            'request',
          );
        }
        if (hop >= env.maxRedirects) {
          throw new FetchFailure(
            'TOO_MANY_REDIRECTS',
            `${request.url} redirected more than ${env.maxRedirects} times`,
            'network',
          );
        }
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          throw new FetchFailure('INVALID_REDIRECT', `${url.href} redirected to an invalid URL`, 'network');
        }
        const status = response.statusCode as number;
        if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
          headers = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'content-type'));
        }
        if (next.origin !== url.origin) {
          headers = Object.fromEntries(
            Object.entries(headers).filter(([name]) => !CREDENTIAL_HEADERS.includes(name)),
          );
        }
        url = next;
        continue;
      }
      const text = await readBody(response, env.maxResponseBytes, url, signal);
      return {
        status: response.statusCode ?? 0,
        statusText: response.statusMessage ?? '',
        headers: flattenHeaders(response.headers),
        body: text,
        url: url.href,
        redirected: hop > 0,
      };
    }
  } catch (error) {
    if (error instanceof FetchFailure) throw error;
    if (signal.aborted && signal.reason instanceof FetchFailure) throw signal.reason;
    throw networkFailure(error, method, url);
  } finally {
    clearTimeout(timer);
    env.signal.removeEventListener('abort', onOuterAbort);
  }
}

function parseUrl(text: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new FetchFailure(
      'INVALID_URL',
      `ctx.fetch: "${text.slice(0, 200)}" is not an absolute URL`,
      'request',
    );
  }
}

function checkUrl(url: URL, env: FetchEnvironment): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FetchFailure(
      'UNSUPPORTED_PROTOCOL',
      `ctx.fetch only speaks http and https, not ${url.protocol}`,
      'policy',
    );
  }
  if (!env.hostAllowed(url)) {
    throw new FetchFailure(
      'HOST_NOT_ALLOWED',
      `ctx.fetch to ${url.host} is not allowed: add it to permissions.hosts in the manifest`,
      'policy',
    );
  }
}

/** Resolves the URL's host and returns an address the policy allows, refusing if any answer is not. */
async function vet(url: URL, env: FetchEnvironment, signal: AbortSignal): Promise<LookupAddress> {
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const literalFamily = isIP(hostname);
  let candidates: LookupAddress[];
  if (literalFamily !== 0) {
    candidates = [{ address: hostname, family: literalFamily === 6 ? 6 : 4 }];
  } else {
    try {
      candidates = await abortable(env.lookup(hostname), signal);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const code =
        typeof (error as { code?: unknown }).code === 'string'
          ? (error as { code: string }).code
          : 'ENOTFOUND';
      throw new FetchFailure(code, `could not resolve ${hostname}: ${code}`, 'network');
    }
    if (candidates.length === 0)
      throw new FetchFailure('ENOTFOUND', `could not resolve ${hostname}: no addresses`, 'network');
  }
  // Every answer must pass: a name resolving to both a public and a private address is refused, or a
  // client choosing among the answers could still be steered to the private one.
  for (const candidate of candidates) {
    const verdict = env.addressPolicy.check(candidate.address);
    if (!verdict.allowed) {
      const via = literalFamily !== 0 ? '' : ` (${hostname} resolves to ${candidate.address})`;
      throw new FetchFailure(
        'PRIVATE_ADDRESS',
        `ctx.fetch to ${url.host} refused: ${candidate.address} is a ${verdict.reason} address${via}`,
        'policy',
      );
    }
  }
  return candidates[0] as LookupAddress;
}

function exchange(
  url: URL,
  target: LookupAddress,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  signal: AbortSignal,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
    const requestHeaders: Record<string, string> = { ...headers, host: url.host };
    if (payload) requestHeaders['content-length'] = String(payload.length);
    // The lookup hook pins the connection to the vetted address; TLS still verifies the real name.
    const pinned: LookupFunction = (_name, options, callback) => {
      if ((options as { all?: boolean }).all) {
        (callback as (e: null, a: LookupAddress[]) => void)(null, [
          { address: target.address, family: target.family },
        ]);
      } else {
        callback(null, target.address, target.family);
      }
    };
    let req: http.ClientRequest;
    try {
      req = (url.protocol === 'https:' ? https : http).request({
        host: hostname,
        port: url.port === '' ? undefined : Number(url.port),
        path: url.pathname + url.search,
        method,
        headers: requestHeaders,
        agent: false,
        lookup: pinned,
        servername: isIP(hostname) === 0 ? hostname : undefined,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return reject(new FetchFailure('INVALID_REQUEST', `ctx.fetch: ${message}`, 'request'));
    }
    const onAbort = () => req.destroy(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    req.once('response', (res) => {
      signal.removeEventListener('abort', onAbort);
      resolve(res);
    });
    req.once('error', (error) => {
      signal.removeEventListener('abort', onAbort);
      reject(error);
    });
    req.end(payload);
  });
}

async function readBody(
  res: http.IncomingMessage,
  maxBytes: number,
  url: URL,
  signal: AbortSignal,
): Promise<string> {
  const tooLarge = () =>
    new FetchFailure(
      'RESPONSE_TOO_LARGE',
      `the response from ${url.host} is larger than ${maxBytes} bytes`,
      'network',
    );
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    throw tooLarge();
  }
  const encoding = String(res.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  let stream: Readable = res;
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? zlib.createGunzip()
      : encoding === 'deflate'
        ? zlib.createInflate()
        : encoding === 'br'
          ? zlib.createBrotliDecompress()
          : undefined;
  if (decoder) {
    stream = decoder;
    pipeline(res, decoder, () => undefined);
  }
  const onAbort = () => stream.destroy(signal.reason as Error);
  signal.addEventListener('abort', onAbort, { once: true });
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      const buffer = chunk as Buffer;
      total += buffer.length;
      // Counted after decoding, so a small compressed bomb cannot expand past the bound.
      if (total > maxBytes) {
        stream.destroy();
        res.destroy();
        throw tooLarge();
      }
      chunks.push(buffer);
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return decodeText(Buffer.concat(chunks), res.headers['content-type']);
}

function decodeText(bytes: Buffer, contentType: string | undefined): string {
  const charset = /charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1];
  if (charset) {
    try {
      return new TextDecoder(charset).decode(bytes);
    } catch {
      // An unknown label falls back to UTF-8, the web's default.
    }
  }
  return bytes.toString('utf8');
}

function prepareHeaders(input: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [rawName, value] of Object.entries(input)) {
    const name = rawName.toLowerCase();
    if (CONTROLLED_HEADERS.has(name)) continue;
    headers[name] = value;
  }
  headers['user-agent'] ??= 'mendflow';
  headers['accept'] ??= '*/*';
  headers['accept-encoding'] ??= 'gzip, deflate, br';
  return headers;
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function networkFailure(error: unknown, method: string, url: URL): FetchFailure {
  const code =
    typeof (error as { code?: unknown })?.code === 'string'
      ? (error as { code: string }).code
      : 'FETCH_FAILED';
  const detail = error instanceof Error ? error.message : String(error);
  return new FetchFailure(code, `${method} ${url.href} failed: ${detail}`, 'network');
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
