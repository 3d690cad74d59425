import type { Env } from './config';
import type { Output, Streams } from './output';
import type { SecretInput } from './prompt';

/** What a command may touch of the process: passed in, so specs run commands in-process. */
export interface CliContext extends Streams {
  env: Env;
  stdin: SecretInput;
  cwd: string;
}

export interface CommandContext extends CliContext {
  out: Output;
}
