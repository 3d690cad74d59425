import { runCli } from './program';

// The `mendflow` binary (bin/mendflow.js loads this file).
runCli(process.argv.slice(2), {
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`mendflow: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
