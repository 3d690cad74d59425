/**
 * Reads a recording once into the few facts the rules ask about. Recordings come back from the database
 * as JSON, so everything here tolerates missing or odd fields rather than throwing: the classifier runs
 * on the failure path, where a crash would lose the classification altogether.
 */
import type { HostCallRecord, Recording } from '@mendflow/sandbox';

type FetchRecord = Extract<HostCallRecord, { kind: 'fetch' }>;

export interface FetchFact {
  method: string;
  /** Host with a non-default port ("crm.example.com", "127.0.0.1:4010"). */
  host: string;
  /** Path without the query string: query strings often carry API keys, and evidence is shown to people. */
  path: string;
  status?: number;
  statusText?: string;
  /** Network failure or policy refusal code (ECONNREFUSED, HOST_NOT_ALLOWED …). */
  errorCode?: string;
  errorMessage?: string;
  /** Neither answered nor failed: the attempt ended while this fetch was still in flight. */
  pending: boolean;
  durationMs: number;
  retryAfter?: string;
}

export interface SecretFact {
  name: string;
  present: boolean;
  /** Set when the host refused the lookup (the name is not in permissions.secrets). */
  denied?: string;
}

/** A ctx.emit that policy refused (EVENT_CYCLE, EVENT_CHAIN_TOO_DEEP). */
export interface EmitRefusalFact {
  name: string;
  code: string;
  message: string;
}

export interface RecordingFacts {
  fetches: FetchFact[];
  secrets: SecretFact[];
  emitRefusals: EmitRefusalFact[];
  hostCalls: number;
}

export function readRecording(recording: Recording | undefined): RecordingFacts {
  const calls: unknown[] = Array.isArray(recording?.calls) ? recording.calls : [];
  const facts: RecordingFacts = { fetches: [], secrets: [], emitRefusals: [], hostCalls: calls.length };
  for (const call of calls) {
    if (!call || typeof call !== 'object') continue;
    const record = call as HostCallRecord;
    if (record.kind === 'fetch') facts.fetches.push(fetchFact(record));
    // A secret record without a name says nothing about which secret to fix, so it is skipped.
    else if (record.kind === 'secret' && typeof record.name === 'string') {
      facts.secrets.push({ name: record.name, present: record.present === true, denied: record.denied });
    } else if (record.kind === 'emit' && record.error && typeof record.error.code === 'string') {
      facts.emitRefusals.push({
        name: String(record.name),
        code: record.error.code,
        message: String(record.error.message ?? ''),
      });
    }
  }
  return facts;
}

function fetchFact(record: FetchRecord): FetchFact {
  const { host, path } = splitUrl(record.request?.url);
  const response = record.response;
  const error = record.error;
  return {
    method: String(record.request?.method ?? 'GET').toUpperCase(),
    host,
    path,
    status: typeof response?.status === 'number' ? response.status : undefined,
    statusText: response?.statusText || undefined,
    errorCode: error?.code ? String(error.code) : undefined,
    errorMessage: error?.message ? String(error.message) : undefined,
    pending: !response && !error,
    durationMs: Number.isFinite(record.durationMs) ? Math.max(0, record.durationMs) : 0,
    retryAfter: header(response?.headers, 'retry-after'),
  };
}

export function splitUrl(url: unknown): { host: string; path: string } {
  try {
    const parsed = new URL(String(url));
    return { host: parsed.host || parsed.href, path: parsed.pathname };
  } catch {
    return { host: typeof url === 'string' && url ? url.slice(0, 200) : 'an unknown host', path: '' };
  }
}

/** The first http(s) URL's host in a piece of text, for errors whose recording lacks the call. */
export function hostInText(text: string): string | undefined {
  const match = /https?:\/\/[^\s'"`<>)]+/i.exec(text);
  return match ? splitUrl(match[0]).host : undefined;
}

function header(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return String(value);
  }
  return undefined;
}

/** A fetch that went wrong in a way that can explain the failure (a pending fetch is not an outcome). */
export function isFailedFetch(fetch: FetchFact): boolean {
  return fetch.errorCode !== undefined || (fetch.status !== undefined && fetch.status >= 400);
}

/** How often the same host gave the same outcome across the whole attempt ("answered 503 three times"). */
export function countSameOutcome(fetches: readonly FetchFact[], like: FetchFact): number {
  return fetches.filter(
    (f) =>
      f.host === like.host &&
      (like.errorCode !== undefined ? f.errorCode === like.errorCode : f.status === like.status),
  ).length;
}

/** Every status (or error code) the host gave, with counts: { "503": 3, "200": 1 }. */
export function outcomesFor(fetches: readonly FetchFact[], host: string): Record<string, number> {
  const outcomes: Record<string, number> = {};
  for (const f of fetches) {
    if (f.host !== host) continue;
    const key = f.errorCode ?? (f.status !== undefined ? String(f.status) : 'pending');
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  }
  return outcomes;
}
