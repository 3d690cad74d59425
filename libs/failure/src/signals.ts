/**
 * What HTTP statuses and network error codes mean for a failure. Kept as data so the rules read as
 * decisions, and so a person can check the lists against docs/lifecycle.md in one place.
 */

/** The service rejected the credentials (401) or their rights (403): a person must fix the secret. */
export const AUTH_STATUSES: ReadonlySet<number> = new Set([401, 403]);

/**
 * Statuses that say "try again later": 408, 425, 429 and the 5xx. 501, 505 and 511 are left out because
 * they describe a permanent mismatch (not implemented, protocol, captive portal), which a retry cannot
 * change.
 */
export function isTransientStatus(status: number): boolean {
  if (status === 408 || status === 425 || status === 429) return true;
  return status >= 500 && status <= 599 && status !== 501 && status !== 505 && status !== 511;
}

/**
 * Client errors that mean the request no longer fits the service (moved endpoint, renamed field,
 * invalid body): the script must change, so a repair is the right answer. 409 and 402 stay out: they
 * describe the service's state or the account, not the code.
 */
export const REQUEST_MISFIT_STATUSES: ReadonlySet<number> = new Set([400, 404, 405, 410, 413, 414, 415, 422]);

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  410: 'Gone',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  425: 'Too Early',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function statusText(status: number, given?: string): string | undefined {
  return STATUS_TEXT[status] ?? given;
}

/**
 * Network failures a retry may well fix, with the words a person reads. ENOTFOUND is here although a
 * mistyped host never resolves: DNS also fails transiently, and retries are bounded before they escalate.
 * Only undici's connection and timeout codes are listed; UND_ERR_INVALID_ARG,
 * UND_ERR_RES_EXCEEDED_MAX_SIZE and the like fail the same way every time.
 */
const TRANSIENT_NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ECONNABORTED: 'connection aborted',
  ETIMEDOUT: 'timed out',
  ESOCKETTIMEDOUT: 'socket timed out',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'DNS lookup failed temporarily',
  EPIPE: 'connection closed while sending',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENETDOWN: 'network down',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'response body stalled',
  UND_ERR_SOCKET: 'socket error',
  UND_ERR_CLOSED: 'connection closed',
};

export function isTransientNetworkCode(code: string | undefined): code is string {
  return code !== undefined && Object.hasOwn(TRANSIENT_NETWORK_CODES, code);
}

export function networkCodeText(code: string): string {
  return TRANSIENT_NETWORK_CODES[code] ?? code;
}

/**
 * A network failure named only in an error's message (a script that rethrew `new Error(err.message)`,
 * or undici's "fetch failed" / "socket hang up"). Returns what to show as the code.
 */
export function networkFailureInMessage(message: string): string | undefined {
  for (const code of Object.keys(TRANSIENT_NETWORK_CODES)) {
    if (new RegExp(`\\b${code}\\b`).test(message)) return code;
  }
  if (/socket hang up/i.test(message)) return 'socket hang up';
  if (/\bother side closed\b/i.test(message)) return 'other side closed';
  if (/\bfetch failed\b/i.test(message)) return 'fetch failed';
  return undefined;
}
