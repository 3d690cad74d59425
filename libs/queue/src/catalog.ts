import { NOTIFICATION_TOPICS } from '@mendflow/contracts';
import { ATTR, injectTraceContext, inSpan, runAttributes, type RunRef } from '@mendflow/telemetry';
import { SpanKind } from '@opentelemetry/api';
import { z } from 'zod';
import {
  addJob,
  QueueNames,
  type QueueName,
  repairJob,
  repairJobPayload,
  runJob,
  runJobPayload,
  type NewRunJob,
} from './jobs';
import { jobTraceContext } from './trace-context';

/**
 * The job catalog: every job Mendflow enqueues, with its queue, its payload schema and how its job is
 * built (id and options). Producers call `JobQueues.enqueue(name, payload)`; a worker declares one
 * handler per job name of the queues it consumes, and `assertHandlers` refuses to start it when a job
 * has no handler or two.
 *
 * Every job a producer enqueues may carry `trace` (jobTraceContext): the W3C context of the enqueue's
 * publish span, injected by `enqueue` when tracing is on, so the consumer's span joins the producer's
 * trace. Jobs added by job schedulers (runs.reconcile, retention.prune, schedule.tick) start their own.
 */
export const wakeJobPayload = z.strictObject({
  runId: z.uuid(),
  workspaceId: z.uuid(),
  /** The attempt that is waiting; a wake for an older wait finds the run moved on and does nothing. */
  attempt: z.int().min(1),
  trace: jobTraceContext.optional(),
});
export type WakeJobPayload = z.output<typeof wakeJobPayload>;

/** One timer per waiting attempt. */
export function wakeJobId(payload: Pick<WakeJobPayload, 'runId' | 'attempt'>): string {
  return `wake_${payload.runId}_${payload.attempt}`;
}

export const reconcileJobPayload = z.strictObject({});

export const retentionJobPayload = z.strictObject({});

export const notificationDispatchPayload = z.strictObject({
  workspaceId: z.uuid(),
  topic: z.enum(NOTIFICATION_TOPICS),
  /** The inbox item (inbox.opened), run (run.failed) or repair (repair.deployed). */
  subjectId: z.uuid(),
  trace: jobTraceContext.optional(),
});
export type NotificationDispatchPayload = z.output<typeof notificationDispatchPayload>;

export const notificationDeliverPayload = z.strictObject({
  workspaceId: z.uuid(),
  deliveryId: z.uuid(),
  trace: jobTraceContext.optional(),
});
export type NotificationDeliverPayload = z.output<typeof notificationDeliverPayload>;

/** Tries of one delivery (the first and five retries, the delay doubling from the base each time). */
export const NOTIFICATION_DELIVERY_ATTEMPTS = 6;
/** The first retry's delay unless the producer says otherwise (the worker's NOTIFY_RETRY_BASE_MS). */
export const NOTIFICATION_RETRY_BASE_MS = 2000;

/** One dispatch per subject and topic: the same inbox item opened twice is told once. */
export function notificationDispatchJobId(payload: Pick<NotificationDispatchPayload, 'topic' | 'subjectId'>) {
  return `notify_${payload.topic}_${payload.subjectId}`;
}

export function notificationDeliverJobId(deliveryId: string): string {
  return `delivery_${deliveryId}`;
}

/** One tick of one schedule (an automation's cron trigger row). */
export const scheduleTickPayload = z.strictObject({
  triggerId: z.uuid(),
  workspaceId: z.uuid(),
  automationId: z.uuid(),
});
export type ScheduleTickPayload = z.output<typeof scheduleTickPayload>;

/** The BullMQ job scheduler of one cron trigger: one per row, named after it. */
export function scheduleSchedulerId(triggerId: string): string {
  return `${SCHEDULE_SCHEDULER_PREFIX}${triggerId}`;
}
export const SCHEDULE_SCHEDULER_PREFIX = 'cron:';

interface BuiltJob {
  name: string;
  data: unknown;
  opts: { jobId: string } & Record<string, unknown>;
}

export interface EnqueueOptions {
  /** Start no earlier than this many ms from now. */
  delayMs?: number;
  /** run.attempt only: the run's priority (RUN_PRIORITY.min..max, higher first); other jobs have none. */
  priority?: number;
  /** notification.deliver only: the first retry's delay (NOTIFICATION_RETRY_BASE_MS by default). */
  retryBaseMs?: number;
  /**
   * No job can hold this job's id yet (the first attempt of a run created a moment ago): the add skips
   * looking for a finished job under it (addJob), one Redis round trip less.
   */
  newId?: boolean;
}

interface CatalogEntry<P> {
  queue: QueueName;
  payload: z.ZodType<P>;
  build(payload: P, options: EnqueueOptions): BuiltJob;
}

function entry<P>(spec: CatalogEntry<P>): CatalogEntry<P> {
  return spec;
}

export const JOB_CATALOG = {
  /** One attempt of one run (the job id carries the attempt number: one job per attempt). */
  'run.attempt': entry<NewRunJob>({
    queue: QueueNames.runs,
    payload: runJobPayload as z.ZodType<NewRunJob>,
    build: (payload, options) => {
      if (options.priority === undefined) throw new Error('a run.attempt job needs the run priority');
      return runJob(payload, options.priority, options.delayMs ?? 0);
    },
  }),
  /** Ends a wait on time: a durable sleep is over, or an approval request expired. */
  'run.wake': entry<WakeJobPayload>({
    queue: QueueNames.maintenance,
    payload: wakeJobPayload,
    build: (payload, options) => {
      const data = wakeJobPayload.parse(payload);
      return {
        name: 'run.wake',
        data,
        opts: {
          jobId: wakeJobId(data),
          attempts: 5,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: { age: 3600 },
          removeOnFail: { age: 86_400 },
          ...(options.delayMs && options.delayMs > 0 && { delay: Math.round(options.delayMs) }),
        },
      };
    },
  }),
  /** Asks the repair provider for a fix to one logic failure. */
  'repair.propose': entry({
    queue: QueueNames.repairs,
    payload: repairJobPayload,
    build: (payload) => repairJob(payload),
  }),
  /**
   * Who is told about a subject: one delivery row per matching channel, then one deliver job each.
   * Retried by BullMQ when PostgreSQL is briefly away; a repeat adds no second delivery (unique key).
   */
  'notification.dispatch': entry<NotificationDispatchPayload>({
    queue: QueueNames.notifications,
    payload: notificationDispatchPayload,
    build: (payload) => {
      const data = notificationDispatchPayload.parse(payload);
      return {
        name: 'notification.dispatch',
        data,
        opts: {
          jobId: notificationDispatchJobId(data),
          attempts: 5,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: { age: 3600 },
          removeOnFail: { age: 86_400 },
        },
      };
    },
  }),
  /**
   * One delivery through one channel, retried with exponential backoff; the processor records every
   * failed try on the delivery row and marks it failed after the last one.
   */
  'notification.deliver': entry<NotificationDeliverPayload>({
    queue: QueueNames.notifications,
    payload: notificationDeliverPayload,
    build: (payload, options) => {
      const data = notificationDeliverPayload.parse(payload);
      return {
        name: 'notification.deliver',
        data,
        opts: {
          jobId: notificationDeliverJobId(data.deliveryId),
          attempts: NOTIFICATION_DELIVERY_ATTEMPTS,
          backoff: { type: 'exponential', delay: options.retryBaseMs ?? NOTIFICATION_RETRY_BASE_MS },
          removeOnComplete: { age: 3600 },
          removeOnFail: { age: 86_400 },
        },
      };
    },
  }),
  /**
   * The stale-run reconciler's pass. Not enqueued by anyone: workers register it as a BullMQ job
   * scheduler, so one pass runs per interval across the whole cluster.
   */
  'runs.reconcile': entry({
    queue: QueueNames.maintenance,
    payload: reconcileJobPayload,
    build: () => ({ name: 'runs.reconcile', data: {}, opts: { jobId: 'runs.reconcile' } }),
  }),
  /**
   * One retention pass (docs/operations.md "Retention"): deletes what every workspace's settings let go,
   * in small batches, for at most RETENTION_TIME_BUDGET_MS. Not enqueued by anyone: workers register it
   * as a BullMQ job scheduler every RETENTION_INTERVAL_MS, so one pass runs per interval cluster-wide.
   */
  'retention.prune': entry({
    queue: QueueNames.maintenance,
    payload: retentionJobPayload,
    build: () => ({ name: 'retention.prune', data: {}, opts: { jobId: 'retention.prune' } }),
  }),
  /**
   * One tick of a schedule. Not enqueued by anyone: ScheduleSync (@mendflow/triggers) keeps one BullMQ
   * job scheduler per cron trigger, which adds one job per tick (its id carries the tick time).
   */
  'schedule.tick': entry<ScheduleTickPayload>({
    queue: QueueNames.maintenance,
    payload: scheduleTickPayload,
    build: () => {
      throw new Error('schedule.tick jobs come from job schedulers (ScheduleSync), never from enqueue');
    },
  }),
} as const;

/** The options of every schedule.tick job, as its job scheduler adds them. */
export const SCHEDULE_TICK_JOB_OPTS = {
  // A tick failing on a database hiccup is tried again; the run's idempotency key keeps it one run.
  attempts: 3,
  backoff: { type: 'fixed', delay: 1000 },
  removeOnComplete: true,
  removeOnFail: { age: 3600 },
} as const;

export type JobName = keyof typeof JOB_CATALOG;
export type JobPayloadOf<N extends JobName> =
  (typeof JOB_CATALOG)[N] extends CatalogEntry<infer P> ? P : never;

/** The job names a queue carries, according to the catalog. */
export function jobsOfQueue(queue: QueueName): JobName[] {
  return (Object.keys(JOB_CATALOG) as JobName[]).filter((name) => JOB_CATALOG[name].queue === queue);
}

/** Parses a received job's payload with its catalog schema (a job from an unknown name throws). */
export function parseJob<N extends JobName>(name: N, data: unknown): JobPayloadOf<N> {
  return JOB_CATALOG[name].payload.parse(data) as JobPayloadOf<N>;
}

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(JOB_CATALOG, name);
}

/** What `enqueue` needs of a BullMQ queue (a subset, so tests and tools can pass their own). */
export interface QueueLike {
  add(name: string, data: unknown, opts: object): Promise<unknown>;
  getJob(id: string): Promise<{ getState(): Promise<string>; remove(): Promise<void> } | undefined>;
}

/** Thrown by JobQueues.enqueue when Redis did not take the job within the bound it was given. */
export class EnqueueTimeoutError extends Error {
  constructor(name: string, timeoutMs: number) {
    super(`Redis did not take job ${name} within ${timeoutMs} ms`);
    this.name = 'EnqueueTimeoutError';
  }
}

/**
 * The one way jobs are enqueued, by API and worker alike. `timeoutMs` bounds an enqueue (the API's:
 * a queue whose connection was never ready, Redis down since the process started, waits for it with
 * no end, and so would the request); without it an enqueue waits for Redis (a worker's).
 */
export class JobQueues {
  constructor(
    private readonly queues: Readonly<Partial<Record<QueueName, QueueLike>>>,
    private readonly options: { timeoutMs?: number } = {},
  ) {}

  /**
   * Validates and adds the job inside a producer span ("publish <queue>"), whose context the job
   * carries (`trace`). With tracing off the span is a no-op and the data has no trace field.
   */
  async enqueue<N extends JobName>(
    name: N,
    payload: JobPayloadOf<N>,
    options: EnqueueOptions = {},
  ): Promise<void> {
    const spec = JOB_CATALOG[name] as unknown as CatalogEntry<JobPayloadOf<N>>;
    const queue = this.queues[spec.queue];
    if (!queue) throw new Error(`no ${spec.queue} queue to enqueue ${name} on`);
    const ids = payload as RunRef & { repairId?: unknown };
    await inSpan(
      `publish ${spec.queue}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'bullmq',
          'messaging.operation.type': 'send',
          'messaging.destination.name': spec.queue,
          'mendflow.job.name': name,
          ...runAttributes(ids),
          ...(typeof ids.repairId === 'string' && { [ATTR.repairId]: ids.repairId }),
        },
      },
      async (span) => {
        const trace = injectTraceContext();
        const job = spec.build(
          trace ? ({ ...(payload as object), trace } as JobPayloadOf<N>) : payload,
          options,
        );
        span.setAttribute('messaging.message.id', job.opts.jobId);
        await this.boundedAdd(name, addJob(queue, job, { newId: options.newId }));
      },
    );
  }

  /** Waits for an add at most `timeoutMs` (when set): a producer must not hang on a Redis that is down. */
  private async boundedAdd(name: JobName, adding: Promise<void>): Promise<void> {
    const { timeoutMs } = this.options;
    if (timeoutMs === undefined) return adding;
    let timer: NodeJS.Timeout | undefined;
    // An add that outlives the bound may still land later: harmless, the job id makes it one job.
    adding.catch(() => undefined);
    try {
      await Promise.race([
        adding,
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new EnqueueTimeoutError(name, timeoutMs)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Checks that a worker handles every job of the queues it consumes exactly once. `handlers` lists, per
 * processor, the job names it handles. Throws with every problem named, so a worker missing a handler
 * (or with two for one job) refuses to start instead of failing jobs at run time.
 */
export function assertHandlers(queues: readonly QueueName[], handlers: readonly (readonly string[])[]): void {
  const problems: string[] = [];
  const counts = new Map<string, number>();
  for (const names of handlers) for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  for (const queue of queues) {
    for (const name of jobsOfQueue(queue)) {
      const count = counts.get(name) ?? 0;
      if (count === 0) problems.push(`job ${name} (queue ${queue}) has no handler`);
      if (count > 1) problems.push(`job ${name} (queue ${queue}) has ${count} handlers`);
    }
  }
  for (const name of counts.keys()) {
    if (!isJobName(name))
      problems.push(`a handler is registered for ${name}, which is not in the job catalog`);
  }
  if (problems.length > 0)
    throw new Error(`job handlers do not match the job catalog: ${problems.join('; ')}`);
}
