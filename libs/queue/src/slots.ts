import { addJob, runJob } from './jobs';

/** One line of a limited automation (see RunSlotsRepository in @mendflow/db); `key` is '' without a key. */
export interface SlotLineRef {
  workspaceId: string;
  automationId: string;
  key: string;
}

/** Where the runs at the head of a line come from: RunSlotsRepository.nextInLine. */
export interface SlotLineSource {
  nextInLine(
    line: SlotLineRef,
  ): Promise<
    { id: string; workspaceId: string; automationId: string; nextAttempt: number; priority: number }[]
  >;
}

type RunQueueLike = Parameters<typeof addJob>[0];

/**
 * Gives the runs at the head of a line a job, as many as the line has free slots: called whenever a
 * limited run leaves running or a waiting one leaves the line (settled, cancelled, recovered), and when
 * a blocked job has ended (a slot may have freed while it was being refused). A run that still has a
 * live job keeps it (addJob leaves it alone), so calling this more often than needed costs one query
 * and a look-up per head, never a second start. Returns how many runs it looked at.
 */
export async function refillSlots(
  source: SlotLineSource,
  queue: RunQueueLike,
  line: SlotLineRef | null,
): Promise<number> {
  if (!line) return 0;
  const next = await source.nextInLine(line);
  for (const run of next) {
    const job = runJob(
      {
        runId: run.id,
        workspaceId: run.workspaceId,
        automationId: run.automationId,
        attempt: run.nextAttempt,
      },
      run.priority,
    );
    await addJob(queue, job);
  }
  return next.length;
}
