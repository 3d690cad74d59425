import type { RunError, ScriptLanguage } from '@mendflow/common';
import type { HostCallRecord, Recording } from '@mendflow/sandbox';
import type { RepairRequest } from './repair-provider';

/** The provider sees the last this many host calls of the failing attempt. */
export const MAX_HOST_CALLS = 50;
/** A fetch response body is cut to this many characters. */
export const MAX_CALL_BODY = 2000;

/** What the repair loop knows about a failure, as stored: the attempt's JSON columns unparsed. */
export interface RepairFacts {
  automation: { id: string; name: string };
  version: { number: number; source: string; language: ScriptLanguage; manifest: unknown };
  failing: {
    input: unknown;
    /** The attempt's error (RunError), null when none was stored. */
    error: unknown;
    /** The attempt's classification (`{ class, reason }`), null when none was stored. */
    classification: unknown;
    /** The attempt's recording, as the sandbox left it (served secrets already redacted). */
    recording: unknown;
  };
  /** Recent good runs (newest first) whose output the fix must keep. */
  successes: { input: unknown; output?: unknown }[];
}

/**
 * The request a repair provider gets for a failure. Pure: everything comes from `facts`. Secret values
 * are never in it: recordings hold a secret's name and whether it was present, and every value served
 * as a secret is already replaced in them.
 */
export function buildRepairRequest(facts: RepairFacts): RepairRequest {
  const error = failingError(facts.failing.error);
  const classification = (facts.failing.classification ?? {}) as { class?: string; reason?: string };
  return {
    automation: { id: facts.automation.id, name: facts.automation.name },
    version: facts.version.number,
    language: facts.version.language,
    source: facts.version.source,
    manifest: facts.version.manifest,
    error: {
      name: error.name,
      message: error.message,
      location: error.location,
      stack: error.stack,
      sourceLine: sourceLineOf(facts.version.source, error.location),
    },
    classification: {
      class: classification.class ?? 'logic',
      reason: classification.reason ?? error.message,
    },
    input: facts.failing.input,
    hostCalls: summarizeCalls(failingRecording(facts.failing.recording)),
    recentSuccesses: facts.successes.map((s) => ({ input: s.input, output: s.output })),
  };
}

/** The attempt's error, or a stand-in when none was stored. */
export function failingError(stored: unknown): RunError {
  return (stored ?? { name: 'Error', message: 'unknown' }) as RunError;
}

/** The attempt's recording, or an empty one when none was stored. */
export function failingRecording(stored: unknown): Recording {
  return (stored ?? { version: 1, calls: [] }) as Recording;
}

/** The line of the user's script the error points at (`script.js:LINE:COL`), trimmed. */
export function sourceLineOf(source: string, location?: string): string | undefined {
  const line = Number(/:(\d+):\d+$/.exec(location ?? '')?.[1]);
  return Number.isInteger(line) && line > 0 ? source.split('\n')[line - 1]?.trim() : undefined;
}

/**
 * The last MAX_HOST_CALLS host calls: a fetch as its request, status, body (cut to MAX_CALL_BODY) and
 * error, without response headers; a secret as its name and presence only; anything else as recorded.
 */
export function summarizeCalls(recording: Recording): unknown[] {
  return recording.calls.slice(-MAX_HOST_CALLS).map((call: HostCallRecord) => {
    switch (call.kind) {
      case 'fetch':
        return {
          kind: 'fetch',
          request: call.request,
          status: call.response?.status,
          body: call.response?.body.slice(0, MAX_CALL_BODY),
          error: call.error,
        };
      case 'secret':
        return {
          kind: 'secret',
          name: call.name,
          present: call.present,
          ...(call.denied !== undefined && { denied: call.denied }),
          ...(call.at !== undefined && { at: call.at }),
        };
      default:
        return call;
    }
  });
}
