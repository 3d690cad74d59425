/**
 * The contract between the worker and the sandbox. The worker supplies host services backed by the
 * database; the sandbox owns the isolate, the limits, ctx.fetch's network policy, redaction and the
 * recording. Everything here is plain data: nothing of the isolate leaks out through these types.
 */
import type { Manifest } from '@mendflow/common';
import type { EventPolicyCode } from '@mendflow/contracts/triggers';
import type { ApprovalAnswer, WaitRequest } from '@mendflow/contracts/waits';

export interface RunIdentity {
  id: string;
  attempt: number;
  automationId: string;
  version: number;
  trigger: string;
  /** Scheduled runs: the tick the run is for (ISO 8601, UTC), not when it started. */
  scheduledAt?: string;
}

/** Durable services the host offers the script through ctx; the worker backs them with PostgreSQL. */
export interface HostServices {
  secrets: { get(name: string): Promise<string | undefined> };
  kv: {
    get(key: string): Promise<unknown>;
    set(key: string, value: unknown): Promise<void>;
    delete(key: string): Promise<void>;
  };
  steps: {
    get(name: string): Promise<{ found: true; value: unknown } | { found: false }>;
    put(name: string, value: unknown): Promise<void>;
  };
  events: {
    /**
     * ctx.emit: stores and routes the event, or returns the event an earlier attempt of the run stored
     * under the same `key` ("<ordinal>:<name>"), so a retry never emits twice. A refusal by policy
     * (chain too deep, a cycle) is an answer, not a throw: it travels to sandbox processes intact.
     */
    emit(request: EmitRequest): Promise<EmitOutcome>;
  };
  /**
   * Told about each ctx.fetch the attempt made live (never one served from a recording) once it is
   * over, wherever the fetch ran (a sandbox process tells its worker over IPC): the worker records it
   * as a span. Optional, and a throw here is ignored: observing must not change the attempt.
   */
  fetched?(observation: FetchObservation): void;
}

/** One ctx.fetch, as tracing sees it: where it went and how it ended, never its path, query or body. */
export interface FetchObservation {
  method: string;
  /** "http" or "https". */
  scheme: string;
  host: string;
  port: number;
  /** Wall-clock start, ms since the epoch. */
  startedAt: number;
  durationMs: number;
  /** The final response's status; absent when the fetch failed. */
  status?: number;
  /** The failure's code (FETCH_FAILED, PRIVATE_ADDRESS …) when there is no response. */
  errorCode?: string;
}

export interface EmitRequest {
  key: string;
  name: string;
  payload: unknown;
}

/** What ctx.emit resolves to. */
export interface EmitResult {
  eventId: string;
  /** How many runs the event started (one per subscribing automation at most). */
  runs: number;
  /** Subscribers that got no run, and why (their inputSchema refused the payload …). */
  skipped: { automationId: string; reason: string }[];
}

export type EmitOutcome =
  { ok: true; value: EmitResult } | { ok: false; code: EventPolicyCode; message: string };

export interface AttemptRequest {
  source: string;
  input: unknown;
  run: RunIdentity;
  manifest: Manifest;
  host: HostServices;
  /** Serve this recording's answers instead of the world (replay-testing a repair candidate). */
  replay?: Recording;
  /** Continue a run whose previous attempt ended `waiting` (see AttemptResume). */
  resume?: AttemptResume;
  /** Aborting ends the attempt promptly (run cancelled). */
  signal?: AbortSignal;
}

/** Which limit ended an attempt, when one did. */
export type LimitKind =
  'timeout' | 'cpu' | 'memory' | 'log' | 'result' | 'fetches' | 'host_calls' | 'cancelled';

export interface AttemptError {
  name: string;
  message: string;
  /** Host-assigned code for failures the host detected (HOST_NOT_ALLOWED, SECRET_MISSING, TIMEOUT …). */
  code?: string;
  /** "script.js:LINE:COLUMN" of the innermost frame in the user's script, when known. */
  location?: string;
  /** Stack limited to the user's script frames. */
  stack?: string;
  limit?: LimitKind;
  /** Set when the script threw one of ctx.errors.* on purpose. */
  declaredClass?: 'transient' | 'auth' | 'logic';
}

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  data?: unknown;
  /** Milliseconds since the attempt started. */
  t: number;
}

/**
 * One host call as it happened, in the order the script made the calls. Secret values are never
 * recorded, only their presence; values that were served as secrets are replaced by `***` everywhere
 * in a recording.
 *
 * The clock: `time` and `random` open every recording (the attempt's start time and the seed of the
 * isolate's Math.random). Inside the isolate the clock only moves when a host call completes (as on
 * Cloudflare Workers): `at` on a call is the clock value the script saw from then on, so a replay
 * reproduces every Date.now() exactly.
 */
export type HostCallRecord = HostCallRecordBody & { at?: number };

export type HostCallRecordBody =
  | { kind: 'time'; value: number }
  /**
   * ctx.waitForApproval, ctx.sleep or ctx.sleepUntil. Resolved once it has `at` (the clock when the
   * script went on); the last record of a waiting attempt's recording has none. `answer` is the
   * approval's answer (a sleep has none).
   */
  | { kind: 'wait'; wait: WaitRequest; answer?: unknown }
  | { kind: 'random'; value: number }
  | { kind: 'secret'; name: string; present: boolean; denied?: string }
  | { kind: 'kv.get'; key: string; value: unknown }
  | { kind: 'kv.set'; key: string }
  | { kind: 'kv.delete'; key: string }
  | { kind: 'step'; name: string; cached: boolean; value?: unknown }
  /** ctx.emit: its result, or the policy refusal (EVENT_CYCLE, EVENT_CHAIN_TOO_DEEP). */
  | { kind: 'emit'; name: string; value?: EmitResult; error?: { code: string; message: string } }
  | {
      kind: 'fetch';
      request: { method: string; url: string };
      response?: {
        status: number;
        statusText: string;
        headers: Record<string, string>;
        body: string;
        /** Final URL after redirects, when it differs from the request's. */
        url?: string;
      };
      /** A network failure (code like ECONNREFUSED, ETIMEDOUT, ENOTFOUND) or a refusal by policy. */
      error?: { code: string; message: string };
      durationMs: number;
    };

export interface Recording {
  version: 1;
  calls: HostCallRecord[];
}

// The wait requests and answers are contracts shared with the engine and the dashboard.
export type { ApprovalAnswer, ApprovalCaps, WaitRequest } from '@mendflow/contracts/waits';
export type ApprovalWait = Extract<WaitRequest, { kind: 'approval' }>;
export type SleepWait = Extract<WaitRequest, { kind: 'sleep' }>;

/** The answer a resumed wait receives: an ApprovalAnswer for an approval, undefined for a sleep. */
export type WaitAnswer = ApprovalAnswer | undefined;

/**
 * Resuming: the script runs again from the start; the calls `recording` holds are served from it
 * (nothing is sent or written again), its last record, the unanswered wait, gets `answer`, and from
 * there on every call is live.
 */
export interface AttemptResume {
  /** The recording of the attempt that ended `waiting`. */
  recording: Recording;
  answer: unknown;
}

export interface AttemptCost {
  wallMs: number;
  cpuMs: number;
  /** How much the isolate's heap grew during the attempt (approximate); the limit after a memory breach. */
  memoryBytes: number;
  /** ctx.fetch calls of this attempt; a resume counts from its wait (the prefix was served, not sent). */
  fetches: number;
  /** Host calls of this attempt; a resume counts from its wait too. */
  hostCalls: number;
  /**
   * The script's own time: from the moment its module starts evaluating to the moment it ended (its
   * result or error reported, a limit hit, or a cancel), host calls it awaited included. 0 when the
   * script never started (a compile error); absent when no attempt was set up (an early failure).
   * `wallMs - scriptMs` is the sandbox's overhead: isolate context and bootstrap set up, compile,
   * quiescence probe, teardown, redaction and serialization of logs, recording and result.
   */
  scriptMs?: number;
}

export interface AttemptResult {
  /** `waiting`: the script called a wait that suspends it; `wait` says what for. */
  status: 'succeeded' | 'failed' | 'waiting';
  /** JSON-safe copy of the script's return value, secret values redacted. */
  output?: unknown;
  error?: AttemptError;
  logs: LogEntry[];
  logsTruncated: boolean;
  recording: Recording;
  cost: AttemptCost;
  /** Present when the status is `waiting`. */
  wait?: WaitRequest;
  /** Present for a replay: how much of the given recording the script consumed. */
  replay?: { callsReplayed: number; callsRecorded: number };
}
