import { RUN_PRIORITY } from '@mendflow/common';
import { z } from 'zod';
import { jobTraceContext } from './trace-context';

/**
 * The typed job catalog: every queue, its payload schema and its options, in one place. Producers
 * validate before `add()`, processors parse what they receive; a job id derived from the run makes a
 * duplicate enqueue of the same attempt a no-op.
 */
export const QueueNames = {
  runs: 'runs',
  repairs: 'repairs',
  /** Timers and housekeeping: wake-ups of waiting runs, the reconciler's scheduled pass, schedule ticks. */
  maintenance: 'maintenance',
  /** Notifications to the channels a workspace configures: dispatch (who is told) and each delivery. */
  notifications: 'notifications',
} as const;
export type QueueName = (typeof QueueNames)[keyof typeof QueueNames];

export const runJobPayload = z.strictObject({
  runId: z.uuid(),
  workspaceId: z.uuid(),
  /** The attempt this job starts; part of the job id, so one job per attempt. */
  attempt: z.int().min(1),
  /**
   * Lets a worker share its slots between automations without reading PostgreSQL first. Optional only
   * so that jobs queued by an older API still parse; every producer passes it (see `NewRunJob`).
   */
  automationId: z.uuid().optional(),
  /** The producer's trace context (only when tracing is on). */
  trace: jobTraceContext.optional(),
});
export type RunJobPayload = z.output<typeof runJobPayload>;
/** What producers enqueue: the automation is required of them, only old jobs in Redis lack it. */
export type NewRunJob = RunJobPayload & { automationId: string };

export const RUN_JOB_NAME = 'run.attempt';

/** BullMQ forbids ':' in custom ids. */
export function runJobId(payload: Pick<RunJobPayload, 'runId' | 'attempt'>): string {
  return `run_${payload.runId}_${payload.attempt}`;
}

export const runJobOptions = {
  // Retries are Mendflow's own (classified, with backoff), not BullMQ's.
  attempts: 1,
  removeOnComplete: { age: 3600, count: 5000 },
  removeOnFail: { age: 86_400 },
} as const;

/**
 * BullMQ's priority for a run's priority. BullMQ serves lower numbers first and jobs without a priority
 * before every prioritized one, so every run job gets one: the highest run priority is BullMQ's 1.
 * Jobs of one priority are served in the order they were added.
 */
export function bullPriority(runPriority: number): number {
  const clamped = Math.min(RUN_PRIORITY.max, Math.max(RUN_PRIORITY.min, Math.round(runPriority)));
  return RUN_PRIORITY.max + 1 - clamped;
}

/**
 * Validates a payload and returns the arguments for `queue.add()`. `priority` is the run's (stored on
 * it, RUN_PRIORITY.min..max, higher first): every job of a run, its retries too, carries it.
 */
export function runJob(payload: NewRunJob, priority: number, delayMs = 0) {
  const data = runJobPayload.parse(payload);
  return {
    name: RUN_JOB_NAME,
    data,
    opts: {
      ...runJobOptions,
      jobId: runJobId(data),
      priority: bullPriority(priority),
      ...(delayMs > 0 && { delay: Math.round(delayMs) }),
    },
  };
}

export const repairJobPayload = z.strictObject({
  repairId: z.uuid(),
  workspaceId: z.uuid(),
  /** The producer's trace context (only when tracing is on). */
  trace: jobTraceContext.optional(),
});
export type RepairJobPayload = z.output<typeof repairJobPayload>;

export const REPAIR_JOB_NAME = 'repair.propose';

export function repairJobId(repairId: string): string {
  return `repair_${repairId}`;
}

/** One job per repair: asking a provider twice for the same failure would spend its budget twice. */
export function repairJob(payload: RepairJobPayload) {
  const data = repairJobPayload.parse(payload);
  return {
    name: REPAIR_JOB_NAME,
    data,
    opts: {
      attempts: 1,
      removeOnComplete: { age: 86_400 },
      removeOnFail: { age: 86_400 },
      jobId: repairJobId(data.repairId),
    },
  };
}

/** Redis pub/sub channel on which the API asks workers to stop a running attempt (run cancelled). */
export const CANCEL_CHANNEL = 'mendflow:runs:cancel';

/** What `queue.add` needs: a job of this catalog with its id. */
interface CatalogJob {
  name: string;
  data: unknown;
  opts: { jobId: string };
}

/**
 * Adds a job, first removing a finished one (completed or failed) that holds the same id. BullMQ keeps
 * finished jobs for a while (see the removeOn* options) and silently ignores an add under an id it
 * still holds, so a run re-queued under the same attempt number (a retry of a run cancelled before it
 * started, the reconciler after a job failed) would otherwise wait for that job to expire. A job still
 * waiting, delayed or active is left alone: the run already has one.
 */
export async function addJob(
  queue: {
    add(name: string, data: unknown, opts: object): Promise<unknown>;
    getJob(id: string): Promise<{ getState(): Promise<string>; remove(): Promise<void> } | undefined>;
  },
  job: CatalogJob,
  /** No job can hold this id yet (a run created a moment ago): nothing to look for first. */
  options: { newId?: boolean } = {},
): Promise<void> {
  const existing = options.newId ? undefined : await queue.getJob(job.opts.jobId);
  if (existing) {
    const state = await existing.getState();
    if (state !== 'completed' && state !== 'failed') return;
    await existing.remove();
  }
  await queue.add(job.name, job.data, job.opts);
}
