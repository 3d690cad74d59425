import { CliError, EXIT } from './output';

/** What the CLI reads secrets from: the process's stdin, or a fake one in specs. */
export interface SecretInput {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  on(event: 'end' | 'error', listener: (error?: Error) => void): unknown;
  removeAllListeners(event?: string): unknown;
  resume(): unknown;
  pause(): unknown;
}

/**
 * A secret value: everything piped to stdin (one trailing newline dropped), or typed at a hidden prompt
 * on a terminal. Never from the command line, where it would land in shell history and `ps`.
 */
export async function readSecret(
  input: SecretInput,
  prompt: string,
  stderr: { write(chunk: string): unknown },
): Promise<string> {
  const value = input.isTTY ? await hiddenPrompt(input, prompt, stderr) : await readAll(input);
  if (value.length === 0) throw new CliError('the value is empty', EXIT.usage, 'SECRET_VALUE_EMPTY');
  return value;
}

function readAll(input: SecretInput): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    input.on('data', (chunk) => (text += chunk.toString()));
    input.on('end', () => resolve(text.replace(/\r?\n$/, '')));
    input.on('error', (error) => reject(error ?? new Error('stdin failed')));
    input.resume();
  });
}

function hiddenPrompt(
  input: SecretInput,
  prompt: string,
  stderr: { write(chunk: string): unknown },
): Promise<string> {
  return new Promise((resolve, reject) => {
    stderr.write(prompt);
    input.setRawMode?.(true);
    let value = '';
    const done = (error?: CliError) => {
      input.setRawMode?.(false);
      input.removeAllListeners('data');
      input.pause();
      stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    input.on('data', (chunk) => {
      for (const char of chunk.toString()) {
        if (char === '\r' || char === '\n' || char === '\u0004') return done();
        if (char === '\u0003') return done(new CliError('cancelled', EXIT.failed, 'CANCELLED'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    });
    input.resume();
  });
}
