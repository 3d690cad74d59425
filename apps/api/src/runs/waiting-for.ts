import type { RunWaitingFor } from '@mendflow/common';
import type { RunRecord } from '@mendflow/db';

/**
 * Why a run that is not moving waits, as the run views report it (`waitingFor`), or null. Each kind is
 * one branch, read from what the run record carries; the first that applies wins.
 */
export function waitingFor(run: RunRecord): RunWaitingFor | null {
  if (run.slotWait) {
    // Queued behind its automation's (and key's) concurrency limit.
    return { kind: 'slot', ...run.slotWait };
  }
  if (run.status === 'waiting' && run.approvalWait) {
    // ctx.waitForApproval: a person's answer (or the request's expiry) resumes it.
    return { kind: 'approval', ...run.approvalWait };
  }
  if (run.status === 'waiting' && run.nextAttemptAt) {
    // ctx.sleep / ctx.sleepUntil: the wake-up time resumes it.
    return { kind: 'sleep', until: run.nextAttemptAt.toISOString() };
  }
  return null;
}
