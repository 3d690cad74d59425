/**
 * Recording and replay of host calls. A call's record is reserved when the script makes the call and
 * completed when the answer arrives, so the order is the script's order even when calls overlap
 * (Promise.all over two fetches), and a replay can match calls in the order the script makes them.
 */
import { storableDeep } from '@mendflow/common/storable';
import type { Redactor } from './redaction';
import type { HostCallRecord, Recording } from './types';

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

export class ReplayMismatch extends Error {
  readonly code = 'REPLAY_MISMATCH';
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
    case 'fetch':
      return `ctx.fetch ${record.request.method} ${record.request.url}`;
  }
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
      return record.name;
    case 'kv.get':
    case 'kv.set':
    case 'kv.delete':
      return record.key;
    case 'fetch':
      return `${record.request.method} ${record.request.url}`;
    default:
      return '';
  }
}

export class Replayer {
  private cursor = 0;
  private readonly calls: HostCallRecord[];

  constructor(recording: Recording) {
    this.calls = Array.isArray(recording?.calls) ? recording.calls : [];
  }

  /** The attempt's opening clock and random seed. */
  start(): { now: number; seed: number } {
    const time = this.calls[0];
    const random = this.calls[1];
    if (time?.kind !== 'time' || random?.kind !== 'random') {
      throw new ReplayMismatch(
        'Replay mismatch: the recording does not start with the clock and the random seed of its attempt',
      );
    }
    this.cursor = 2;
    return { now: time.value, seed: random.value };
  }

  /** The next recorded call, which must be the one the script is making now. */
  take<K extends Kind>(call: CallKey & { kind: K }): RecordOf<K> {
    const position = this.cursor + 1;
    const next = this.calls[this.cursor];
    if (!next) {
      throw new ReplayMismatch(
        `Replay mismatch: the script made ${call.description} as call #${position}, but the recording ends after ${this.calls.length} calls`,
      );
    }
    if (next.kind !== call.kind || keyOf(next) !== call.key) {
      throw new ReplayMismatch(
        `Replay mismatch at call #${position}: the recording has ${describeCall(next)}, but the script made ${call.description}`,
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
