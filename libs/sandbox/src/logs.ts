/**
 * The attempt's log as the host keeps it: entries arrive one message at a time from ctx.log and
 * console, are counted against maxLogBytes here (the isolate counts too, but the host does not rely
 * on it), and are redacted when the attempt's result is built, once every secret it used is known.
 *
 * Logs are display text: a NUL or a lone surrogate (which PostgreSQL cannot store) becomes U+FFFD in
 * messages and in the strings and keys of data, and data nested deeper than the isolate ever sends
 * is cut, so whatever is stored can be serialized again without overflowing the stack.
 */
import { storableDeep, storableText } from '@mendflow/common/storable';
import type { Redactor } from './redaction';
import type { LogEntry } from './types';

const LEVELS = new Set<LogEntry['level']>(['debug', 'info', 'warn', 'error']);
/** The isolate serializes log data at most 32 levels deep (bootstrap.ts emitLog). */
const MAX_DATA_DEPTH = 32;

export class LogSink {
  private readonly entries: LogEntry[] = [];
  private bytes = 0;
  truncated = false;

  constructor(
    private readonly maxBytes: number,
    private readonly startedAt: number,
  ) {}

  /** Adds one entry; false once the log is over its bound (the entry is dropped). */
  accept(payload: string): boolean {
    if (this.truncated) return false;
    this.bytes += Buffer.byteLength(payload);
    if (this.bytes > this.maxBytes) {
      this.truncated = true;
      return false;
    }
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(payload) as Record<string, unknown>;
    } catch {
      return true;
    }
    const level = LEVELS.has(raw.level as LogEntry['level']) ? (raw.level as LogEntry['level']) : 'info';
    const entry: LogEntry = {
      level,
      message: typeof raw.message === 'string' ? storableText(raw.message) : '',
      t: Math.round(performance.now() - this.startedAt),
    };
    if (Object.hasOwn(raw, 'data')) entry.data = storableDeep(raw.data, MAX_DATA_DEPTH);
    this.entries.push(entry);
    return true;
  }

  /** Marks the log as cut short (the isolate stopped sending at its own count of the bound). */
  overflow(): void {
    this.truncated = true;
  }

  result(redactor: Redactor): LogEntry[] {
    if (!redactor.active) return this.entries;
    return this.entries.map((entry) => {
      const out: LogEntry = { ...entry, message: redactor.text(entry.message) };
      if (Object.hasOwn(entry, 'data')) out.data = redactor.deep(entry.data);
      return out;
    });
  }
}
