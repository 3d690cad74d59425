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
  return null;
}
