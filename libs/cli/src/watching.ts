import { summarizeRunEvent } from '@mendflow/contracts';
import { type RunEvent, type WatchedRun, watchRun } from '@mendflow/sdk';
import type { Api } from './api';
import { asCliError } from './api';
import { EXIT, type ExitCode, type Output } from './output';

/** One timeline line: `#3 12:00:01 attempt.started  Attempt 1 started`. */
export function formatEvent(event: RunEvent): string {
  const time = event.createdAt.slice(11, 19);
  return `#${event.seq} ${time} ${event.type.padEnd(20)} ${summarizeRunEvent(event)}`;
}

/** Streams the run's timeline until it rests; the exit code says how it ended. */
export async function streamRun(
  api: Api,
  out: Output,
  runId: string,
): Promise<{ run: WatchedRun; exit: ExitCode }> {
  const controller = new AbortController();
  const interrupt = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', interrupt);
  try {
    const run = await watchRun(
      { baseUrl: api.credentials.apiUrl, apiKey: api.credentials.apiKey },
      api.runs,
      runId,
      {
        signal: controller.signal,
        onEvent: (event) => out.item({ event }, formatEvent(event)),
      },
    );
    return { run, exit: exitFor(run) };
  } catch (error) {
    throw asCliError(error);
  } finally {
    process.off('SIGINT', interrupt);
  }
}

/** succeeded, or waiting for an approval: 0; failed, cancelled, action needed: 1. */
export function exitFor(run: Pick<WatchedRun, 'status'>): ExitCode {
  return run.status === 'succeeded' || run.status === 'waiting' ? EXIT.ok : EXIT.failed;
}
