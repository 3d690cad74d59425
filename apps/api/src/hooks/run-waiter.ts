import { Injectable } from '@nestjs/common';
import { TERMINAL_RUN_STATUSES, type RunStatus } from '@mendflow/contracts';
import { type RunRecord, RunsRepository } from '@mendflow/db';
import { LiveEventsGateway } from '../events/live-events.gateway';

/**
 * Where a synchronous caller stops waiting: the run finished, or it needs a person (no answer is coming
 * soon). A retry's backoff or a sleep may still end within the wait, so those are waited through.
 */
const SETTLED: ReadonlySet<RunStatus> = new Set([...TERMINAL_RUN_STATUSES, 'action_needed']);

// Live messages are best effort (a lost one costs nothing durable): the run is also read once a second.
const FALLBACK_READ_MS = 1000;

/** Waits, up to a deadline, for a run to settle; PostgreSQL is the truth, live run.status messages the cue. */
@Injectable()
export class RunWaiter {
  constructor(
    private readonly runs: RunsRepository,
    private readonly live: LiveEventsGateway,
  ) {}

  isSettled(status: RunStatus): boolean {
    return SETTLED.has(status);
  }

  /** The run as it is when it settled, or at the deadline. */
  async wait(workspaceId: string, runId: string, timeoutMs: number): Promise<RunRecord> {
    const deadline = Date.now() + timeoutMs;
    let wake: () => void = () => undefined;
    // Watch before the first read, so a status published between the read and the watch is not missed.
    const unwatch = this.live.watchRunStatus(runId, (status) => {
      if (SETTLED.has(status)) wake();
    });
    try {
      for (;;) {
        const run = await this.runs.get(workspaceId, runId);
        const left = deadline - Date.now();
        if (SETTLED.has(run.status) || left <= 0) return run;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, FALLBACK_READ_MS));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      unwatch();
    }
  }
}
