/**
 * Replaces every secret value served during an attempt by `***` in what leaves the sandbox: logs,
 * output, errors and the recording. It is a guard against accidental leaks (a token echoed in an error
 * message, a header dumped to the log); a script that deliberately transforms a secret can still
 * reveal it, which is why secrets are declared per automation.
 */
import { storableText } from '@mendflow/common/storable';

export const REDACTED = '***';

/** Forms shorter than this are too likely to occur by chance to redact as derived encodings. */
const MIN_DERIVED_LENGTH = 4;

export class Redactor {
  private readonly forms = new Set<string>();
  private pattern: RegExp | undefined;

  /** Registers a served secret value and the encodings it commonly appears in. */
  add(value: string): void {
    if (value.length === 0) return;
    const before = this.forms.size;
    this.forms.add(value);
    // Stored text has U+FFFD in place of NUL and lone surrogates, and may be made storable before it
    // is redacted (logs are, as they arrive).
    this.forms.add(storableText(value));
    if (value.length >= MIN_DERIVED_LENGTH) {
      // Inside JSON text (a recorded body, a serialized log payload) quotes and backslashes are escaped.
      this.forms.add(JSON.stringify(value).slice(1, -1));
      this.forms.add(encodeURIComponent(value));
      // Basic auth headers and many APIs carry credentials base64-encoded.
      const base64 = Buffer.from(value, 'utf8').toString('base64');
      this.forms.add(base64);
      this.forms.add(base64.replace(/=+$/, ''));
      this.forms.add(Buffer.from(value, 'utf8').toString('base64url'));
    }
    if (this.forms.size !== before) this.pattern = undefined;
  }

  get active(): boolean {
    return this.forms.size > 0;
  }

  text(value: string): string {
    if (this.forms.size === 0 || value.length === 0) return value;
    if (!this.pattern) {
      // Longest first, so a value that contains another one is replaced whole.
      const alternatives = [...this.forms].sort((a, b) => b.length - a.length).map(escapeRegExp);
      this.pattern = new RegExp(alternatives.join('|'), 'g');
    }
    return value.replace(this.pattern, REDACTED);
  }

  /** A redacted copy of plain JSON data (strings in values and keys). */
  deep<T>(value: T): T {
    if (this.forms.size === 0) return value;
    return this.walk(value) as T;
  }

  private walk(value: unknown): unknown {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((item) => this.walk(item));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        // defineProperty, not assignment: a key named "__proto__" stays plain data.
        Object.defineProperty(out, this.text(key), {
          value: this.walk(item),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return value;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}
