/**
 * Domain errors carry a stable code that clients may rely on. The HTTP layer maps `kind` to a status;
 * nothing else about the error (stack, cause) ever leaves the server.
 */
export type ErrorKind =
  'invalid' | 'unauthenticated' | 'forbidden' | 'not_found' | 'conflict' | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly kind: ErrorKind,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const ErrorCodes = {
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  NOT_FOUND: 'NOT_FOUND',
  AUTOMATION_NOT_FOUND: 'AUTOMATION_NOT_FOUND',
  AUTOMATION_NAME_TAKEN: 'AUTOMATION_NAME_TAKEN',
  AUTOMATION_INVALID_MANIFEST: 'AUTOMATION_INVALID_MANIFEST',
  AUTOMATION_INVALID_SOURCE: 'AUTOMATION_INVALID_SOURCE',
  AUTOMATION_PAUSED: 'AUTOMATION_PAUSED',
  /** A run could not start because its automation kept changing (deploys racing the request): try again. */
  AUTOMATION_CHANGED: 'AUTOMATION_CHANGED',
  RUN_NOT_FOUND: 'RUN_NOT_FOUND',
  /** The automation's manifest has a concurrency key (a JSON pointer) and the run's input has no value there. */
  RUN_CONCURRENCY_KEY_MISSING: 'RUN_CONCURRENCY_KEY_MISSING',
  INVALID_CURSOR: 'INVALID_CURSOR',
  /** A string holds a character PostgreSQL cannot store: NUL (U+0000) or a lone UTF-16 surrogate. */
  INVALID_CHARACTERS: 'INVALID_CHARACTERS',
  /** A JSON body nests objects and arrays deeper than REQUEST_LIMITS.maxJsonDepth. */
  JSON_TOO_DEEP: 'JSON_TOO_DEEP',
  INVALID_JSON: 'INVALID_JSON',
  BAD_REQUEST: 'BAD_REQUEST',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  INTERNAL: 'INTERNAL',
  /** PostgreSQL or Redis could not be reached: nothing was done that the caller must undo; retry later. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  RUN_NOT_CANCELLABLE: 'RUN_NOT_CANCELLABLE',
  RUN_NOT_RETRYABLE: 'RUN_NOT_RETRYABLE',
  INBOX_ITEM_RESOLVED: 'INBOX_ITEM_RESOLVED',
  INBOX_ACTION_NOT_ALLOWED: 'INBOX_ACTION_NOT_ALLOWED',
  /** An approval request past its deadline: it closed as expired and the run went on rejected. */
  APPROVAL_EXPIRED: 'APPROVAL_EXPIRED',
  /** Approval requests are answered by people (API keys only where the manifest allows, never the run's own). */
  APPROVAL_REQUIRES_PERSON: 'APPROVAL_REQUIRES_PERSON',
  /** An approver's caps would allow more than the script asked for. */
  APPROVAL_CAPS_WIDENED: 'APPROVAL_CAPS_WIDENED',
  /** An idempotency key still within its time to live was sent again with a different input. */
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  /** A webhook's signature is missing, malformed or wrong (or its secret is not set): nothing started. */
  WEBHOOK_SIGNATURE_INVALID: 'WEBHOOK_SIGNATURE_INVALID',
  /** A webhook's signed timestamp is outside the trigger's tolerance: a replay, refused. */
  WEBHOOK_SIGNATURE_EXPIRED: 'WEBHOOK_SIGNATURE_EXPIRED',
  /** A synchronous webhook's run ended in time, but not succeeded (its public error is in details). */
  RUN_FAILED: 'RUN_FAILED',
  RATE_LIMITED: 'RATE_LIMITED',
  /** A bundle that is not a mendflow.bundle/v1 document (details.issues name the fields): nothing imported. */
  BUNDLE_INVALID: 'BUNDLE_INVALID',
  /** A bundle whose signature does not verify against its publisher key: it was changed after signing. */
  BUNDLE_SIGNATURE_INVALID: 'BUNDLE_SIGNATURE_INVALID',
  /** A well-signed bundle from a key that is neither the workspace's own nor one of its trusted publishers. */
  BUNDLE_PUBLISHER_UNTRUSTED: 'BUNDLE_PUBLISHER_UNTRUSTED',
  /** The workspace already trusts a publisher key with this fingerprint. */
  PUBLISHER_ALREADY_TRUSTED: 'PUBLISHER_ALREADY_TRUSTED',
  TRUSTED_PUBLISHER_NOT_FOUND: 'TRUSTED_PUBLISHER_NOT_FOUND',
  /** POST /mcp with a body that is not a JSON-RPC message, or an Accept header that refuses JSON. */
  MCP_INVALID_MESSAGE: 'MCP_INVALID_MESSAGE',
} as const;

export class NotFoundError extends DomainError {
  constructor(code: string, what: string, id: string) {
    super(code, 'not_found', `${what} ${id} was not found`, { id });
  }
}

/** One bad field of a request: `path` is dotted (`manifest.limits.timeoutMs`), `message` says why. */
export interface FieldIssue {
  path: string;
  message: string;
}

export class ValidationError extends DomainError {
  constructor(
    readonly issues: FieldIssue[],
    code: string = ErrorCodes.VALIDATION_FAILED,
  ) {
    super(code, 'invalid', summarize(issues), { issues });
  }
}

function summarize(issues: FieldIssue[]): string {
  const first = issues[0];
  if (!first) return 'The request is invalid';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `${first.path || 'body'}: ${first.message}${more}`;
}
