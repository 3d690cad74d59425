/**
 * Exit codes and output: every command prints either text for a person or, with `--json`, JSON for a
 * program (one document, or one per line for a streaming command such as `run --watch`).
 */

export const EXIT = {
  /** Done. */
  ok: 0,
  /** The API refused, the run failed, or something was not found. */
  failed: 1,
  /** The command line is wrong (unknown option, missing argument, a secret passed as an argument). */
  usage: 2,
  /** Not logged in, or the key was refused (401/403). */
  auth: 3,
  /** `lint` (or `deploy`/`push` before sending) found errors in a script. */
  lint: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  failed: the API refused, a run failed or was cancelled, something was not found
  2  usage error (unknown command or option, missing argument, a secret value on the command line)
  3  not logged in, the API key was refused, or its role lacks the permission
  4  lint errors in a script`;

/** A failure the CLI reports with a message, a stable code and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly code = 'CLI_ERROR',
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface Streams {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

export class Output {
  constructor(
    readonly json: boolean,
    private readonly streams: Streams,
  ) {}

  /** The command's result: JSON with --json, else the text `describe` makes of it. */
  result(data: unknown, describe: () => string): void {
    if (this.json) this.streams.stdout.write(`${JSON.stringify(data)}\n`);
    else {
      const text = describe();
      if (text) this.streams.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
  }

  /** A progress line for a person (stderr, so stdout stays the result); silent with --json. */
  note(line: string): void {
    if (!this.json) this.streams.stderr.write(`${line}\n`);
  }

  /** One item of a stream: a JSON line with --json, else a text line on stdout. */
  item(data: unknown, line: string): void {
    this.streams.stdout.write(this.json ? `${JSON.stringify(data)}\n` : `${line}\n`);
  }

  error(error: CliError): void {
    if (this.json) {
      const body = { error: { code: error.code, message: error.message, details: error.details } };
      this.streams.stdout.write(`${JSON.stringify(body)}\n`);
    } else {
      this.streams.stderr.write(`mendflow: ${error.message}\n`);
    }
  }
}

/** Columns padded to their widest cell. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
