import { RUN_PRIORITY } from '@mendflow/contracts';
import { bullPriority, type QueueName } from '@mendflow/queue';
import type { Queue } from 'bullmq';

/** The job states counted per queue (BullMQ's names; `waiting` is jobs without a priority). */
export const QUEUE_JOB_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed'] as const;
export type QueueJobState = (typeof QUEUE_JOB_STATES)[number];

export interface QueueDepth {
  queue: QueueName;
  counts: Record<QueueJobState, number>;
  /** Seconds since the oldest job ready to start (waiting or prioritized) became due; 0 when none is. */
  oldestWaitingAgeSeconds: number;
}

/** What the reader needs of a BullMQ queue (a real Queue is one). */
export type QueueCountsSource = Pick<Queue, 'getJobCounts' | 'getCountsPerPriority' | 'getJobs'>;

/** BullMQ's priorities that the catalog gives jobs: run.attempt's, from its run priority; others have none. */
const BULL_PRIORITIES = [
  ...new Set(
    Array.from({ length: RUN_PRIORITY.max - RUN_PRIORITY.min + 1 }, (_, i) =>
      bullPriority(RUN_PRIORITY.min + i),
    ),
  ),
].sort((a, b) => a - b);

/**
 * One queue's depth by state, and the age of its oldest job ready to start. Jobs without a priority
 * wait in a FIFO list (its tail is the oldest); prioritized jobs are ordered by priority, then FIFO
 * within one, so the oldest is the first of some priority: one look per priority in use.
 * "Became due" is the job's add time plus its delay (a retry's backoff): how long it has been ready
 * and not picked up, which is what a worker shortage shows as.
 */
export async function readQueueDepth(queue: QueueName, source: QueueCountsSource, now = Date.now()) {
  const [counts, perPriority, oldestUnprioritized] = await Promise.all([
    source.getJobCounts(...QUEUE_JOB_STATES),
    source.getCountsPerPriority(BULL_PRIORITIES),
    source.getJobs(['wait'], 0, 0, true),
  ]);
  const heads: ReturnType<QueueCountsSource['getJobs']>[] = [];
  let index = 0;
  for (const priority of BULL_PRIORITIES) {
    const count = perPriority[String(priority)] ?? 0;
    if (count > 0) heads.push(source.getJobs(['prioritized'], index, index, true));
    index += count;
  }
  // A job removed between the listing and its read comes back undefined.
  const candidates = [...oldestUnprioritized, ...(await Promise.all(heads)).flat()].filter(
    (job) => job !== undefined && Number.isFinite(job.timestamp),
  );
  const oldestDue = Math.min(...candidates.map((job) => job.timestamp + (job.delay ?? 0)));
  const depth: QueueDepth = {
    queue,
    counts: Object.fromEntries(QUEUE_JOB_STATES.map((state) => [state, counts[state] ?? 0])) as Record<
      QueueJobState,
      number
    >,
    oldestWaitingAgeSeconds: Number.isFinite(oldestDue) ? Math.max(0, (now - oldestDue) / 1000) : 0,
  };
  return depth;
}
