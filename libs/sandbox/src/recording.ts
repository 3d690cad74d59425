/**
 * Recording and replay of host calls. A call's record is reserved when the script makes the call and
 * completed when the answer arrives, so the order is the script's order even when calls overlap
 * (Promise.all over two fetches), and a replay can match calls in the order the script makes them.
 */
import { storableDeep } from '@mendflow/common/storable';
import type { Redactor } from './redaction';
import type { HostCallRecord, Recording, WaitRequest } from './types';

/** A record's values are host data bounded at 64 levels (kv values, step results) plus its own few. */
const MAX_RECORDING_DEPTH = 80;

type Kind = HostCallRecord['kind'];
export type RecordOf<K extends Kind> = Extract<HostCallRecord, { kind: K }>;

export class CallLog {
  private readonly calls: HostCallRecord[] = [];

  /** Appends a record and returns it, so the caller can complete it when the call completes. */
  push<R extends HostCallRecord>(record: R): R {
    this.calls.push(record);
    return record;
  }

  /**
   * The recording as it leaves the sandbox: a plain copy with every served secret value redacted, made
   * storable. Names, keys and URLs were refused at the call if PostgreSQL could not store them; what
   * remote servers sent (bodies, headers, status texts) and error messages are display text, where a
   * NUL or a lone surrogate becomes U+FFFD. A replay therefore serves U+FFFD where the original
   * response had such a character.
   */
  snapshot(redactor: Redactor): Recording {
    const calls = redactor.deep(structuredClone(this.calls));
    return { version: 1, calls: storableDeep(calls, MAX_RECORDING_DEPTH) };
  }
}

/**
 * The script and the recording it is served from disagree (REPLAY_MISMATCH, RESUME_MISMATCH), or a
 * resume was handed something it cannot continue from (INVALID_RESUME). It fails the attempt.
 */
export class ReplayMismatch extends Error {
  constructor(
    message: string,
    readonly code: 'REPLAY_MISMATCH' | 'RESUME_MISMATCH' | 'INVALID_RESUME' = 'REPLAY_MISMATCH',
  ) {
    super(message);
  }

  /** The error's name as the script and the attempt's error show it. */
  get errorName(): string {
    return this.code === 'REPLAY_MISMATCH' ? 'ReplayMismatchError' : 'ResumeMismatchError';
  }
}

/** Describes a call the way the mismatch messages name it: `fetch GET https://…`, `kv.get "cursor"`. */
export function describeCall(record: HostCallRecord): string {
  switch (record.kind) {
    case 'time':
      return 'the clock';
    case 'random':
      return 'the random seed';
    case 'secret':
      return `ctx.secrets.get("${record.name}")`;
    case 'kv.get':
    case 'kv.set':
    case 'kv.delete':
      return `ctx.${record.kind}("${record.key}")`;
    case 'step':
      return `ctx.step("${record.name}")`;
    case 'emit':
      return `ctx.emit("${record.name}")`;
    case 'fetch':
      return `ctx.fetch ${record.request.method} ${record.request.url}`;
    case 'wait':
      return describeWait(record.wait);
  }
}

function describeWait(wait: WaitRequest): string {
  if (wait.kind === 'approval') return `ctx.waitForApproval("${wait.title}")`;
  const until = Number.isFinite(wait.until) ? new Date(wait.until).toISOString() : String(wait.until);
  return `ctx.sleep until ${until}`;
}

/** What identifies a call for matching: its kind and key (name, key, or method + URL). */
export interface CallKey {
  kind: Kind;
  key: string;
  description: string;
}

function keyOf(record: HostCallRecord): string {
  switch (record.kind) {
    case 'secret':
    case 'step':
    case 'emit':
      return record.name;
    case 'kv.get':
    case 'kv.set':
    case 'kv.delete':
      return record.key;
    case 'fetch':
      return `${record.request.method} ${record.request.url}`;
    // An approval is known by its title; a sleep's end depends on the clock, which the recording
    // already fixes, so any sleep at this position matches.
    case 'wait':
      return record.wait?.kind === 'approval' ? `approval ${record.wait.title}` : 'sleep';
    default:
      return '';
  }
}

/** The key a wait the script makes now is matched by. */
export function waitCallKey(wait: WaitRequest): CallKey & { kind: 'wait' } {
  const record: HostCallRecord = { kind: 'wait', wait };
  return { kind: 'wait', key: keyOf(record), description: describeCall(record) };
}

/** A wait record is resolved once the script went on after it, which is when its `at` is set. */
export function isResolvedWait(record: RecordOf<'wait'>): boolean {
  return typeof record.at === 'number';
}

/**
 * Serves a recording's answers in the order the script asks. Two uses:
 * - `replay` (repair testing): the whole attempt is served, and running past the end is a mismatch;
 * - `resume` (continuing a waiting run): the recording is served up to its last record, the wait the
 *   run stopped at; from then on `serving` is false and the attempt is live.
 */
export class Replayer {
  private cursor = 0;
  private readonly calls: HostCallRecord[];
  private readonly label: 'Replay' | 'Resume';
  private readonly mismatchCode: 'REPLAY_MISMATCH' | 'RESUME_MISMATCH';

  constructor(
    recording: Recording,
    readonly mode: 'replay' | 'resume' = 'replay',
  ) {
    this.calls = Array.isArray(recording?.calls) ? recording.calls : [];
    this.label = mode === 'replay' ? 'Replay' : 'Resume';
    this.mismatchCode = mode === 'replay' ? 'REPLAY_MISMATCH' : 'RESUME_MISMATCH';
  }

  /** Whether calls are still served from the recording (a resume goes live after its last record). */
  get serving(): boolean {
    return this.mode === 'replay' || this.cursor < this.calls.length;
  }

  /** The attempt's opening clock and random seed. */
  start(): { now: number; seed: number } {
    const time = this.calls[0];
    const random = this.calls[1];
    if (time?.kind !== 'time' || random?.kind !== 'random') {
      throw new ReplayMismatch(
        `${this.label} mismatch: the recording does not start with the clock and the random seed of its attempt`,
        this.mismatchCode,
      );
    }
    if (this.mode === 'resume') this.checkResumable();
    this.cursor = 2;
    return { now: time.value, seed: random.value };
  }

  /** A resume continues from one unanswered wait, the recording's last record, and only from there. */
  private checkResumable(): void {
    const last = this.calls[this.calls.length - 1];
    if (last?.kind !== 'wait' || isResolvedWait(last)) {
      throw new ReplayMismatch(
        'Cannot resume: the recording does not end at an unanswered ctx.waitForApproval, ctx.sleep or ctx.sleepUntil (pass the recording of the attempt that ended waiting)',
        'INVALID_RESUME',
      );
    }
    const early = this.calls.findIndex(
      (c, i) => i < this.calls.length - 1 && c.kind === 'wait' && !isResolvedWait(c),
    );
    if (early >= 0) {
      throw new ReplayMismatch(
        `Cannot resume: call #${early + 1} of the recording is a wait that was never answered, but it is not the last call`,
        'INVALID_RESUME',
      );
    }
  }

  /** The next recorded call, which must be the one the script is making now. */
  take<K extends Kind>(call: CallKey & { kind: K }): RecordOf<K> {
    const position = this.cursor + 1;
    const next = this.calls[this.cursor];
    if (!next) {
      throw new ReplayMismatch(
        `${this.label} mismatch: the script made ${call.description} as call #${position}, but the recording ends after ${this.calls.length} calls`,
        this.mismatchCode,
      );
    }
    if (next.kind !== call.kind || keyOf(next) !== call.key) {
      throw new ReplayMismatch(
        `${this.label} mismatch at call #${position}: the recording has ${describeCall(next)}, but the script made ${call.description}${this.mode === 'resume' ? RESUME_HINT : ''}`,
        this.mismatchCode,
      );
    }
    this.cursor++;
    return structuredClone(next) as RecordOf<K>;
  }

  /** Consumes the next record only if it is this call (used when policy refuses a call before replaying it). */
  skipIf(call: CallKey): void {
    const next = this.calls[this.cursor];
    if (next && next.kind === call.kind && keyOf(next) === call.key) this.cursor++;
  }

  get progress(): { callsReplayed: number; callsRecorded: number } {
    return { callsReplayed: this.cursor, callsRecorded: this.calls.length };
  }
}

const RESUME_HINT =
  ' (a resumed run runs the script again from the start and serves its earlier calls from the recording, so the code before a wait must make the same calls in the same order: was the script changed while the run was waiting, or does it depend on something other than ctx and its input?)';
