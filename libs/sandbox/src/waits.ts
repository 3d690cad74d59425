/**
 * The host side of ctx.waitForApproval, ctx.sleep and ctx.sleepUntil: reading the isolate's request
 * (untrusted, checked again after the isolate's own checks), and the caps an approval puts on the
 * fetches that follow it.
 *
 * A wait never blocks anything on the host: the attempt ends `waiting` (attempt.ts), the engine
 * stores the run, and a later attempt resumes it from the recording (recording.ts Replayer).
 * Times are judged against the script's clock (the one Date.now() shows inside the isolate), so a
 * replay of the same recording reaches the same decision.
 */
import {
  compileHostPatterns,
  HOST_PATTERN_SYNTAX,
  hostPatternWithin,
  type HostMatcher,
} from '@mendflow/common/host-patterns';
import { describeCharacter, findUnstorable, unstorableCharacter } from '@mendflow/common/storable';
import { MAX_WAIT_MS, WAIT_BOUNDS } from './limits';
import { invalidRequest, OpError } from './op-error';
import { ReplayMismatch } from './recording';
import type { ApprovalCaps, ApprovalWait, AttemptResume, WaitRequest } from './types';

const APPROVAL = 'ctx.waitForApproval';

/** A wait the script asked for; `immediate` for a sleepUntil whose time has already come. */
export interface ParsedWait {
  wait: WaitRequest;
  immediate: boolean;
}

export function parseWait(payload: string, now: number, manifestHosts: readonly string[]): ParsedWait {
  // Every field is bounded (WAIT_BOUNDS), so a valid request is far below this as JSON.
  if (payload.length > 64 * 1024) throw invalidRequest('ctx.waitForApproval', 'the request is too large');
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    body = undefined;
  }
  if (!isObject(body)) throw invalidRequest('ctx.sleep', 'malformed request');
  switch (body.kind) {
    case 'approval':
      return { wait: parseApproval(body, manifestHosts), immediate: false };
    case 'sleep':
      return { wait: { kind: 'sleep', until: now + parseSleepMs(body.ms) }, immediate: false };
    case 'sleepUntil': {
      const until = parseWakeTime(body.until, now);
      return { wait: { kind: 'sleep', until }, immediate: until <= now };
    }
    default:
      throw invalidRequest('ctx.sleep', 'malformed request');
  }
}

function parseApproval(body: Record<string, unknown>, manifestHosts: readonly string[]): ApprovalWait {
  const { title, details, timeoutMs, caps } = body;
  if (typeof title !== 'string' || title.trim() === '') {
    throw invalidRequest(APPROVAL, 'options.title must be a non-empty string');
  }
  if (title.length > WAIT_BOUNDS.maxTitleChars) {
    throw new OpError({
      name: 'RangeError',
      message: `${APPROVAL}: options.title is longer than ${WAIT_BOUNDS.maxTitleChars} characters`,
      code: 'NAME_TOO_LONG',
    });
  }
  checkText(title, 'options.title');
  const wait: ApprovalWait = { kind: 'approval', title, timeoutMs: parseApprovalTimeout(timeoutMs) };
  if (details !== undefined) {
    if (typeof details !== 'string') throw invalidRequest(APPROVAL, 'options.details must be a string');
    if (details.length > WAIT_BOUNDS.maxDetailsChars) {
      throw invalidRequest(
        APPROVAL,
        `options.details is longer than ${WAIT_BOUNDS.maxDetailsChars} characters`,
        'RangeError',
      );
    }
    checkText(details, 'options.details');
    wait.details = details;
  }
  if (caps !== undefined)
    wait.caps = capsWithinManifest(parseCaps(caps, `${APPROVAL}: options.caps`), manifestHosts);
  return wait;
}

function parseApprovalTimeout(value: unknown): number {
  if (value === undefined) return WAIT_BOUNDS.defaultApprovalTimeoutMs;
  const { minApprovalTimeoutMs: min } = WAIT_BOUNDS;
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > MAX_WAIT_MS) {
    throw invalidRequest(
      APPROVAL,
      `options.timeoutMs must be a whole number of milliseconds from ${min} (a minute) to ${MAX_WAIT_MS} (30 days)`,
      'RangeError',
    );
  }
  return value as number;
}

function parseSleepMs(value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > MAX_WAIT_MS) {
    throw invalidRequest(
      'ctx.sleep(ms)',
      `ms must be a whole number of milliseconds from 1 to ${MAX_WAIT_MS} (30 days)`,
      'RangeError',
    );
  }
  return value as number;
}

/**
 * An ISO-8601 date (midnight UTC) or date-time with `Z` or an offset: a date-time without one would
 * mean the host's local time, which differs between machines.
 */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

function parseWakeTime(value: unknown, now: number): number {
  const fn = 'ctx.sleepUntil(date)';
  let until: number;
  if (typeof value === 'number') until = value;
  else if (typeof value === 'string' && value.length <= WAIT_BOUNDS.maxDateChars && ISO_DATE_TIME.test(value))
    until = Date.parse(value);
  else
    throw invalidRequest(
      fn,
      'date must be a Date, epoch milliseconds or an ISO-8601 string with a time zone (2030-01-31T09:00:00Z)',
    );
  if (!Number.isFinite(until)) throw invalidRequest(fn, 'date is not a valid point in time', 'RangeError');
  if (until > now + MAX_WAIT_MS) {
    throw invalidRequest(
      fn,
      `date is more than ${MAX_WAIT_MS} ms (30 days) ahead: ${new Date(until).toISOString()}`,
      'RangeError',
    );
  }
  return Math.floor(until);
}

/** Caps as the script or an approver wrote them: shape only (see capsWithinManifest for the hosts). */
export function parseCaps(value: unknown, what: string): ApprovalCaps {
  if (!isObject(value))
    throw new OpError({ name: 'TypeError', message: `${what} must be an object`, code: 'INVALID_REQUEST' });
  const caps: ApprovalCaps = {};
  const { maxFetches, hosts } = value;
  if (maxFetches !== undefined) {
    if (!Number.isSafeInteger(maxFetches) || (maxFetches as number) < 0) {
      throw new OpError({
        name: 'RangeError',
        message: `${what}.maxFetches must be a whole number of 0 or more`,
        code: 'INVALID_REQUEST',
      });
    }
    caps.maxFetches = maxFetches as number;
  }
  if (hosts !== undefined) {
    const valid =
      Array.isArray(hosts) &&
      hosts.length <= WAIT_BOUNDS.maxCapHosts &&
      hosts.every(
        (h) =>
          typeof h === 'string' && h.length <= WAIT_BOUNDS.maxCapHostChars && HOST_PATTERN_SYNTAX.test(h),
      );
    if (!valid) {
      throw new OpError({
        name: 'TypeError',
        message: `${what}.hosts must be a list of at most ${WAIT_BOUNDS.maxCapHosts} host patterns as in permissions.hosts (api.example.com, *.example.com, host:8443)`,
        code: 'INVALID_REQUEST',
      });
    }
    caps.hosts = [...(hosts as string[])];
  }
  return caps;
}

/** Caps can only narrow: every host a cap names must already be allowed by the manifest. */
function capsWithinManifest(caps: ApprovalCaps, manifestHosts: readonly string[]): ApprovalCaps {
  const outside = caps.hosts?.find((pattern) => !hostPatternWithin(pattern, manifestHosts));
  if (outside !== undefined) {
    throw new OpError({
      name: 'PolicyError',
      message: `${APPROVAL}: options.caps.hosts names "${outside}", which permissions.hosts does not allow (caps can only narrow the manifest)`,
      code: 'HOST_NOT_ALLOWED',
    });
  }
  return caps;
}

/**
 * The caps in force after an approval: the approver's when the answer carries caps (an approver may
 * tighten what the script asked for), else the script's own. Throws for an answer whose caps are
 * malformed: an engine bug, which must not silently lift the caps.
 */
export function effectiveCaps(wait: ApprovalWait, answer: unknown): ApprovalCaps | undefined {
  if (isObject(answer) && answer.caps !== undefined)
    return parseCaps(answer.caps, "the approval answer's caps");
  return wait.caps;
}

/**
 * Enforces an approval's caps on the fetches after it. Counts only fetches the manifest allows (a
 * refused one never reaches the network), and counts them across later sleeps: the approver granted
 * a number of fetches, not a number per attempt.
 */
export class ApprovalCapsGuard {
  private fetches = 0;
  private readonly hostAllowed: HostMatcher | undefined;

  constructor(private readonly caps: ApprovalCaps) {
    this.hostAllowed = caps.hosts ? compileHostPatterns(caps.hosts) : undefined;
  }

  /** Why this fetch breaches the caps, or undefined when it is allowed (and then it is counted). */
  refusal(method: string, url: URL): string | undefined {
    if (this.hostAllowed && !this.hostAllowed(url)) {
      return `ctx.fetch ${method} ${url.host} is outside the approval's caps: caps.hosts allows only ${this.caps.hosts?.join(', ') || 'no host'}`;
    }
    const limit = this.caps.maxFetches;
    if (limit !== undefined && this.fetches + 1 > limit) {
      return `ctx.fetch ${method} ${url.host} would be fetch #${this.fetches + 1} after the approval, but its caps.maxFetches is ${limit}`;
    }
    this.fetches++;
    return undefined;
  }
}

function checkText(text: string, what: string): void {
  const problem = unstorableCharacter(text);
  if (problem) {
    throw new OpError({
      name: 'TypeError',
      message: `${APPROVAL}: ${what} contains ${describeCharacter(problem)}, which cannot be stored`,
      code: 'INVALID_CHARACTERS',
    });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The answer a resume hands the wait it continues from, checked before the script runs: it enters
 * the isolate and the recording, so it must be JSON PostgreSQL can store, and an approval's caps
 * must be readable (a malformed cap must fail the attempt, not lift the cap). A sleep has no answer.
 */
export function resumeAnswer(resume: AttemptResume, maxDepth: number): unknown {
  const calls = resume.recording.calls;
  const last = calls[calls.length - 1];
  if (last?.kind !== 'wait' || last.wait?.kind !== 'approval') return undefined;
  let answer: unknown;
  try {
    const json = JSON.stringify(resume.answer);
    answer = json === undefined ? undefined : (JSON.parse(json) as unknown);
  } catch (error) {
    throw invalidResume(`the answer is not JSON (${String(error)})`);
  }
  const found = findUnstorable(answer, maxDepth);
  if (found) {
    throw invalidResume(
      found.problem === 'depth'
        ? `the answer is nested deeper than ${maxDepth} levels`
        : `the answer contains ${describeCharacter(found.problem)} at ${found.path}, which cannot be stored`,
    );
  }
  try {
    effectiveCaps(last.wait, answer);
  } catch (error) {
    throw invalidResume(error instanceof Error ? error.message : String(error));
  }
  return answer;
}

function invalidResume(problem: string): ReplayMismatch {
  return new ReplayMismatch(`Cannot resume: ${problem}`, 'INVALID_RESUME');
}
