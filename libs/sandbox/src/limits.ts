/**
 * Effective limits of one attempt: the manifest's limits, capped by the server's maximums. Limits the
 * manifest cannot express (CPU time, host calls) come from the server alone.
 */
import type { Manifest } from '@mendflow/common';
import type { AttemptError, LimitKind } from './types';

export interface SandboxMaxima {
  timeoutMs: number;
  memoryMb: number;
  maxFetches: number;
  maxLogBytes: number;
  maxResultBytes: number;
  maxHostCalls: number;
  cpuMs: number;
}

/** Server maximums when the operator sets none: the manifest schema's own ceilings. */
export const DEFAULT_MAXIMA: SandboxMaxima = {
  timeoutMs: 900_000,
  memoryMb: 1024,
  maxFetches: 1000,
  maxLogBytes: 10_485_760,
  maxResultBytes: 10_485_760,
  maxHostCalls: 10_000,
  cpuMs: 30_000,
};

/** The manifest's defaults, used when a manifest arrives without a limits block (older rows). */
const MANIFEST_DEFAULTS = {
  timeoutMs: 30_000,
  memoryMb: 64,
  maxFetches: 50,
  maxLogBytes: 262_144,
  maxResultBytes: 1_048_576,
};

/**
 * What one host call may carry, checked in the isolate before anything is copied to the host
 * (bootstrap.ts: a string the script built cheaply, say 'x'.repeat(2 ** 26), must never be copied
 * into the host's heap) and checked again on the host (host-ops.ts, attempt.ts), which never trusts
 * the isolate. Sizes count UTF-16 code units, which the isolate can count without encoding anything.
 */
export const HOST_CALL_BOUNDS = {
  /** The manifest's secret names are at most 64 characters (libs/common manifest.ts). */
  maxSecretNameLength: 64,
  /** Most servers and proxies refuse longer request lines anyway (8 KiB is the common default). */
  maxUrlChars: 8192,
  /** EVENT_NAME_PATTERN's bound (@mendflow/contracts triggers.ts). */
  maxEventNameChars: 100,
  /** Methods are short tokens (GET, PATCH, PROPFIND). */
  maxMethodChars: 32,
  maxHeaders: 100,
  maxHeaderNameChars: 256,
  maxHeaderValueChars: 8192,
  /** Names and values together; servers commonly accept 8 to 32 KiB of request head. */
  maxHeadersChars: 32_768,
  /** A request body travels in one message; 4 MiB is plenty for an API call. */
  maxFetchBodyChars: 4 * 1024 * 1024,
  /** The whole request as JSON, after escaping (a body of control characters grows up to sixfold). */
  maxFetchRequestChars: 8 * 1024 * 1024,
  /**
   * The payloads of host calls still waiting for their answer, together: a script starting many
   * calls at once (Promise.all over fetches with big bodies) cannot make the host hold more. A call
   * started when nothing else is in flight is only held to its own bound (a step result may be as
   * large as limits.maxResultBytes).
   */
  maxInFlightChars: 8 * 1024 * 1024,
} as const;

/** The longest a script may suspend itself in one call (ctx.sleep, ctx.sleepUntil, an approval's timeout). */
export { MAX_WAIT_MS } from '@mendflow/contracts/waits';

/** The arguments of ctx.waitForApproval, checked in the isolate and again on the host. */
export const WAIT_BOUNDS = {
  maxTitleChars: 200,
  maxDetailsChars: 4000,
  /** Below a minute a person cannot realistically answer; the engine would only expire it. */
  minApprovalTimeoutMs: 60_000,
  defaultApprovalTimeoutMs: 86_400_000,
  /** Same bound as the manifest's permissions.hosts. */
  maxCapHosts: 100,
  maxCapHostChars: 260,
  /** An ISO-8601 date-time with a fraction and an offset is well below this. */
  maxDateChars: 64,
} as const;

/** isolated-vm refuses isolates below 8 MB. */
const MIN_MEMORY_MB = 8;

export interface EffectiveLimits {
  timeoutMs: number;
  cpuMs: number;
  memoryMb: number;
  maxFetches: number;
  maxLogBytes: number;
  maxResultBytes: number;
  /** Nesting depth of returned values, step results and kv values. */
  maxDepth: number;
  maxHostCalls: number;
  /** kv keys and values are small by design: the store is for cursors and flags, not data sets. */
  maxKvKeyLength: number;
  maxKvValueBytes: number;
  maxStepNameLength: number;
}

export function resolveLimits(
  manifest: Manifest | undefined,
  maxima: Partial<SandboxMaxima> = {},
): EffectiveLimits {
  const cap = { ...DEFAULT_MAXIMA, ...definedOnly(maxima) };
  const wanted = { ...MANIFEST_DEFAULTS, ...definedOnly(manifest?.limits ?? {}) };
  const timeoutMs = Math.min(wanted.timeoutMs, cap.timeoutMs);
  return {
    timeoutMs,
    cpuMs: Math.min(cap.cpuMs, timeoutMs),
    memoryMb: Math.max(MIN_MEMORY_MB, Math.min(wanted.memoryMb, cap.memoryMb)),
    maxFetches: Math.min(wanted.maxFetches, cap.maxFetches),
    maxLogBytes: Math.min(wanted.maxLogBytes, cap.maxLogBytes),
    maxResultBytes: Math.min(wanted.maxResultBytes, cap.maxResultBytes),
    maxDepth: 64,
    maxHostCalls: cap.maxHostCalls,
    maxKvKeyLength: 256,
    maxKvValueBytes: 65_536,
    maxStepNameLength: 200,
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => typeof v === 'number' && Number.isFinite(v)),
  ) as Partial<T>;
}

const LIMIT_CODES: Record<LimitKind, string> = {
  timeout: 'TIMEOUT',
  cpu: 'CPU_LIMIT',
  memory: 'MEMORY_LIMIT',
  log: 'LOG_LIMIT',
  result: 'RESULT_LIMIT',
  fetches: 'FETCH_LIMIT',
  host_calls: 'HOST_CALL_LIMIT',
  cancelled: 'CANCELLED',
};

/** The error an attempt ends with when the sandbox stops it at a limit. */
export function limitError(limit: LimitKind, message: string, code = LIMIT_CODES[limit]): AttemptError {
  return { name: 'LimitError', message, code, limit };
}
