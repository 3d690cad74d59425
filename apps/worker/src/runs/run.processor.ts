import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { withLogContext } from '@mendflow/common';
import {
  QueueNames,
  RUN_JOB_NAME,
  redisConnection,
  runJobPayload,
  type RunJobPayload,
} from '@mendflow/queue';
import type { BlockedAttempt } from '@mendflow/db';
import { inConsumerSpan, runAttributes } from '@mendflow/telemetry';
import type { Span } from '@opentelemetry/api';
import { DelayedError, type Job, Worker } from 'bullmq';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-config';
import { WorkerMetrics } from '../health/worker-metrics';
import { automationSlots, deferralDelayMs, FairShare, fairShareKey } from './fair-share';
import { RunExecutor } from './run-executor.service';
import { RunEngine } from '@mendflow/engine';

/** The job went back to the queue (its automation holds its share of the slots). */
const DEFERRED = Symbol('deferred');

/** Thin: validate the job, keep one automation from taking every slot, hand the job to the executor. */
@Injectable()
export class RunProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  static readonly handles = [RUN_JOB_NAME] as const;
  private readonly logger = new Logger('RunProcessor');
  private readonly fairShare: FairShare;
  private worker: Worker | undefined;

  constructor(
    private readonly executor: RunExecutor,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly metrics: WorkerMetrics,
    private readonly engine: RunEngine,
  ) {
    this.fairShare = new FairShare(
      automationSlots(config.WORKER_CONCURRENCY, config.WORKER_AUTOMATION_SHARE),
    );
  }

  /**
   * The BullMQ worker is built here, not by @Processor: its lock settings come from the environment,
   * and BullMQ fixes the lock renewal schedule when the worker is constructed (setting lockDuration
   * afterwards left locks renewed every 15 s that expired after 2, so short locks redelivered jobs).
   */
  onApplicationBootstrap(): void {
    const lockDuration = this.config.WORKER_LOCK_DURATION_MS;
    this.worker = new Worker(QueueNames.runs, (job, token) => this.process(job, token), {
      connection: redisConnection(this.config.REDIS_URL),
      concurrency: this.config.WORKER_CONCURRENCY,
      lockDuration,
      stalledInterval: lockDuration,
      maxStalledCount: 5,
    });
    this.worker.on('error', (error) => this.logger.warn(`runs queue: ${error.message}`));
    // A job refused a slot is over only now: a refill that ran while it was still active could not
    // give its run a new job (the id was taken), so the line is refilled again once it has completed.
    this.worker.on('completed', (_job, result: Awaited<ReturnType<RunProcessor['process']>>) => {
      if (result?.line) void this.engine.refill(result.line);
    });
  }

  /**
   * On SIGTERM, stop taking jobs and let the attempts under way finish before the sandbox closes (its
   * shutdown hook runs after this one). An orchestrator's grace period bounds the wait; a worker
   * killed anyway leaves jobs that BullMQ redelivers and attempts marked abandoned.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }

  async process(job: Job, token?: string): Promise<BlockedAttempt | undefined> {
    if (job.name !== RUN_JOB_NAME)
      throw new Error(`no handler for job ${job.name} on queue ${QueueNames.runs}`);
    const payload = runJobPayload.parse(job.data);
    // Everything logged while this attempt is processed, down to the host services, says which it is;
    // its consumer span continues the trace of whoever enqueued the attempt (its context is in the job).
    const { runId, attempt, workspaceId } = payload;
    const outcome = await withLogContext({ runId, attempt, workspaceId, jobId: job.id }, () =>
      inConsumerSpan(QueueNames.runs, job, payload.trace, runAttributes(payload), (span) =>
        this.processAttempt(job, token, payload, span),
      ),
    );
    // BullMQ's way to end a job without completing or failing it: moved to delayed, then DelayedError.
    if (outcome === DEFERRED) throw new DelayedError();
    return outcome;
  }

  private async processAttempt(
    job: Job,
    token: string | undefined,
    payload: RunJobPayload,
    span: Span,
  ): Promise<BlockedAttempt | undefined | typeof DEFERRED> {
    const key = fairShareKey(payload);
    let release = await this.fairShare.acquireWithin(key, this.config.WORKER_SHARE_PATIENCE_MS);
    if (!release) {
      if (await this.putBack(job, token)) {
        span.setAttribute('mendflow.job.deferred', true);
        return DEFERRED;
      }
      release = this.fairShare.acquire(key);
    }
    try {
      return await this.executor.execute(payload);
    } finally {
      release();
    }
  }

  /**
   * The job's automation holds its share of this worker's slots: the job goes back to the queue for a
   * moment (no failure, no attempt counted, same job id) and the free slot goes to the next job, likely
   * another automation's. Nothing has started yet, so this is safe. False when the job could not be put
   * back: it then runs past the share, which is better than risking the run.
   */
  private async putBack(job: Job, token: string | undefined): Promise<boolean> {
    if (!token) return false;
    try {
      // attemptsStarted counts every time a worker took the job, this time included.
      await job.moveToDelayed(Date.now() + deferralDelayMs(job.attemptsStarted - 1), token);
    } catch (error) {
      this.logger.warn(`job ${job.id} could not be put back (${(error as Error).message}); running it now`);
      return false;
    }
    this.metrics.deferredJobs.inc();
    return true;
  }
}
