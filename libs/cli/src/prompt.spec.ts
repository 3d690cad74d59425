import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readSecret } from './prompt';

function sink() {
  let text = '';
  return { write: (chunk: string) => (text += chunk), text: () => text };
}

describe('reading a secret value', () => {
  it('takes everything piped to stdin, without the trailing newline', async () => {
    const stdin = new PassThrough();
    const pending = readSecret(stdin, 'Value: ', sink());
    stdin.end('line one\nline two\n');
    expect(await pending).toBe('line one\nline two');
  });

  it('reads a terminal in raw mode without echoing what is typed', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true, modes: [] as boolean[] });
    const tty = Object.assign(stdin, { setRawMode: (mode: boolean) => stdin.modes.push(mode) });
    const stderr = sink();
    const pending = readSecret(tty, 'Value: ', stderr);
    tty.write('hunter3\u007f2');
    tty.write('\r');
    expect(await pending).toBe('hunter2');
    expect(stderr.text()).toBe('Value: \n');
    expect(stdin.modes).toEqual([true, false]);
  });

  it('refuses an empty value', async () => {
    const stdin = new PassThrough();
    const pending = readSecret(stdin, 'Value: ', sink());
    stdin.end('\n');
    await expect(pending).rejects.toMatchObject({ code: 'SECRET_VALUE_EMPTY', exitCode: 2 });
  });
});
