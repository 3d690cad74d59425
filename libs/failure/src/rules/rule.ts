/**
 * A rule looks at one kind of evidence and either decides the class or passes. The classifier tries
 * the rules in a fixed order (see classify-failure.ts), so each rule can stay small and ignorant of
 * the others.
 */
import type { AttemptError, LimitKind } from '@mendflow/sandbox';
import { compact } from '../describe';
import type { FetchFact, RecordingFacts } from '../recording-facts';
import type { ClassifierInput, FailureClass } from '../types';

export interface RuleContext {
  error: AttemptError;
  facts: RecordingFacts;
  cost?: ClassifierInput['cost'];
}

export interface Verdict {
  class: FailureClass;
  /** Stable id of the deciding rule ("policy.host_not_allowed"), stored in the evidence. */
  rule: string;
  reason: string;
  evidence?: Record<string, unknown>;
  /** Set when the failure must not open an inbox item (a cancelled attempt). */
  noInbox?: true;
}

export type Rule = (context: RuleContext) => Verdict | undefined;

/** The limit that ended the attempt; older sandboxes said so only with code TIMEOUT. */
export function limitOf(error: AttemptError): LimitKind | undefined {
  if (error.limit) return error.limit;
  if (error.code === 'TIMEOUT') return 'timeout';
  return undefined;
}

/** One fetch as evidence: where it went and how it ended, never its query string or body. */
export function fetchEvidence(fetch: FetchFact): Record<string, unknown> {
  return compact({
    method: fetch.method,
    host: fetch.host,
    path: fetch.path,
    status: fetch.status,
    errorCode: fetch.errorCode,
    pending: fetch.pending || undefined,
    durationMs: fetch.durationMs,
  });
}

/** A secret name in an error message, for errors whose recording lacks the lookup. */
export function secretNameInText(text: string): string | undefined {
  const match =
    /\bsecrets?\s+["'`]?([A-Z][A-Z0-9_]{0,63})\b/.exec(text) ?? /["'`]([A-Z][A-Z0-9_]{0,63})["'`]/.exec(text);
  return match?.[1];
}
