import { InjectQueue } from '@nestjs/bullmq';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { RunError } from '@mendflow/common';
import { RunExecutionRepository, RunSlotsRepository } from '@mendflow/db';
import { EventRouter, RunEngine } from '@mendflow/engine';
import {
  JOB_CATALOG,
  JobQueues,
  JobSchedulerKeeper,
  QueueNames,
  repairJobId,
  runJobId,
  wakeJobId,
} from '@mendflow/queue';
import { ScheduleSync } from '@mendflow/triggers';
import type { JobState, Queue } from 'bullmq';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-config';
import { ScheduleTicks } from '../schedules/schedule-ticks.service';

/** A job in one of these states still has (or will get) a worker; any other state, or none, has not. */
const LIVE_JOB_STATES = new Set<JobState | 'unknown'>([
  'active',
  'waiting',
  'delayed',
  'prioritized',
  'waiting-children',
]);

/**
 * After this many attempts of one run ended without any worker finishing them (this one included),
 * the run is paused for a person instead of queued again: something about it keeps taking its worker
 * down or away, and running it again and again would only repeat that.
 */
export const MAX_LOST_ATTEMPTS = 3;

/** An event this long unrouted was left by a crash: emit and POST /events route within milliseconds. */
const UNROUTED_EVENT_MS = 30_000;

export const LOST_ATTEMPT_REASON = "no worker held this attempt's job (lost lease); queued again";

const LOST_ATTEMPT_ERROR: RunError = {
  name: 'WorkerLost',
  code: 'LEASE_LOST',
  message:
    "no worker held this attempt's job any more (its job failed, vanished or ended without settling it)",
};

/**
 * PostgreSQL is the source of truth, and this reconciler makes sure every run it holds has an owner.
 * A waiting run whose wake-up is overdue lost its timer job (Redis flushed), or its timer is set for
 * later than the deadline PostgreSQL holds: it is woken.
 *
 * A run still `queued` long after it was created, or whose retry is long overdue, lost its job (Redis
 * flushed, or the API could not enqueue). Re-adding the job with the same id is a no-op when the job
 * still exists, and the conditional start makes a duplicate harmless.
 *
 * A run `running` whose attempt has no live job behind it lost its worker for good: the processor
 * failed past settling, BullMQ gave up on a job that kept stalling, or Redis lost it. Nothing else
 * would ever move it. Its attempt is marked abandoned and the run queued again, in one statement
 * conditional on the run still being on that attempt, so a worker that does hold it, or another
 * reconciler, is never overtaken and the run is recovered exactly once.
 */
@Injectable()
export class StaleRunReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('StaleRunReconciler');
  private readonly keeper: JobSchedulerKeeper;

  constructor(
    private readonly engine: RunEngine,
    private readonly jobs: JobQueues,
    private readonly execution: RunExecutionRepository,
    private readonly slots: RunSlotsRepository,
    @InjectQueue(QueueNames.runs) private readonly runsQueue: Queue,
    @InjectQueue(QueueNames.maintenance) private readonly maintenance: Queue,
    @InjectQueue(QueueNames.repairs) private readonly repairsQueue: Queue,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly schedules: ScheduleSync,
    private readonly ticks: ScheduleTicks,
    private readonly events: EventRouter,
  ) {
    this.keeper = new JobSchedulerKeeper(
      maintenance,
      { id: RECONCILE_SCHEDULER_ID, label: 'the reconcile pass', write: () => this.writeScheduler() },
      this.logger,
    );
  }

  /** How often a pass runs, cluster-wide. */
  get intervalMs(): number {
    return Math.max(1000, Math.floor(this.config.STALE_QUEUED_RUN_MS / 2));
  }

  /**
   * One pass per interval across the whole cluster, not one per worker: the pass is a BullMQ job
   * scheduler on the maintenance queue, which every worker upserts with the same id (idempotent) and
   * whichever worker is free takes each occurrence. A Redis that lost its data lost the scheduler too,
   * and with it every pass that would re-enqueue what PostgreSQL still holds: JobSchedulerKeeper
   * writes it again, checking every interval.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.keeper.start(this.intervalMs);
  }

  onApplicationShutdown(): void {
    this.keeper.stop();
  }

  /** Writes the pass's scheduler again if Redis lost it (JobSchedulerKeeper); true when it did. */
  keepScheduler(): Promise<boolean> {
    return this.keeper.check();
  }

  private async writeScheduler(): Promise<void> {
    const { build } = JOB_CATALOG['runs.reconcile'];
    const job = build({}, {});
    await this.maintenance.upsertJobScheduler(
      RECONCILE_SCHEDULER_ID,
      { every: this.intervalMs },
      { name: job.name, data: job.data, opts: { removeOnComplete: true, removeOnFail: { age: 3600 } } },
    );
  }

  /**
   * One pass; returns how many runs it re-enqueued, woke or recovered, and events it routed. The
   * schedules are synced in the same pass (their repairs are logged, not counted: they are schedulers,
   * not runs).
   */
  async reconcile(): Promise<number> {
    const runs =
      (await this.requeueWaiting()) +
      (await this.wakeOverdue()) +
      (await this.resumeRepairs()) +
      (await this.recoverLostAttempts()) +
      (await this.routeUnrouted());
    await this.syncSchedules();
    return runs;
  }

  /**
   * Schedulers follow the cron trigger rows: a crash between a deploy's commit and its Redis write, or
   * a Redis that lost its data, left a schedule without its scheduler (written now), or a scheduler
   * without its schedule (removed). A schedule whose scheduler was missing and whose catchUp is
   * 'latest' runs its most recent tick that never ran, once.
   */
  private async syncSchedules(): Promise<void> {
    const { upserted, removed } = await this.schedules.syncAll();
    for (const trigger of upserted) await this.ticks.catchUp(trigger.id);
    if (upserted.length > 0) this.logger.warn(`wrote ${upserted.length} missing schedule scheduler(s)`);
    if (removed.length > 0) this.logger.log(`removed ${removed.length} scheduler(s) of schedules gone`);
  }

  /**
   * Events stored but never routed: the process that stored one died before creating its runs.
   * Routing is idempotent (each run's key names the event), so an event routed meanwhile gains nothing.
   */
  private async routeUnrouted(): Promise<number> {
    const routed = await this.events.routePending(new Date(Date.now() - UNROUTED_EVENT_MS), 500);
    if (routed > 0) this.logger.warn(`routed ${routed} event(s) left unrouted`);
    return routed;
  }

  /**
   * Runs `repairing` whose repair job is gone (Redis lost it, or it failed past the loop's own
   * handling): the job is enqueued again, and the repair loop goes on from the status the repair
   * stored (a stored candidate is not asked for twice), or makes the run follow a repair that rests.
   */
  private async resumeRepairs(): Promise<number> {
    const stale = await this.execution.findStaleRepairing(this.config.STALE_QUEUED_RUN_MS, 500);
    let enqueued = 0;
    for (const run of stale) {
      const job = await this.repairsQueue.getJob(repairJobId(run.repairId));
      if (job && LIVE_JOB_STATES.has(await job.getState())) continue;
      await this.jobs.enqueue('repair.propose', { repairId: run.repairId, workspaceId: run.workspaceId });
      enqueued++;
    }
    if (enqueued > 0)
      this.logger.warn(`re-enqueued the repair of ${enqueued} repairing run(s) whose job was gone`);
    return enqueued;
  }

  private async requeueWaiting(): Promise<number> {
    const stale = await this.execution.findStaleWaiting(this.config.STALE_QUEUED_RUN_MS, 500);
    for (const run of stale) {
      await this.jobs.enqueue(
        'run.attempt',
        {
          runId: run.id,
          workspaceId: run.workspaceId,
          automationId: run.automationId,
          attempt: run.nextAttempt,
        },
        { priority: run.priority },
      );
    }
    if (stale.length > 0) this.logger.log(`re-enqueued ${stale.length} waiting run(s) whose job was missing`);
    return stale.length + (await this.refillStaleLines());
  }

  /**
   * Runs with a concurrency limit wait in lines: only the head of each line needs a job (the others
   * wait for a slot), so a line waiting too long is refilled instead of every run in it re-enqueued.
   * First, slots whose run is no longer running are purged (a safety net: the statements that move a
   * run out of running free its slot themselves).
   */
  private async refillStaleLines(): Promise<number> {
    const purged = await this.slots.purgeOrphanSlots();
    if (purged.length > 0) this.logger.warn(`freed ${purged.length} slot(s) held by runs no longer running`);
    const lines = await this.slots.findStaleLines(this.config.STALE_QUEUED_RUN_MS, 500);
    let enqueued = 0;
    for (const line of [...purged, ...lines]) enqueued += await this.engine.refill(line);
    return enqueued;
  }

  /**
   * Waiting runs past their wake-up (a sleep's end, an approval's expiry) whose timer job was lost, or
   * is set for later than PostgreSQL's deadline (a timer still delayed while the run is long overdue):
   * a lost timer is set again to fire now, a late one fires now. PostgreSQL's deadline decides.
   */
  private async wakeOverdue(): Promise<number> {
    const overdue = await this.execution.findOverdueWaits(this.config.STALE_QUEUED_RUN_MS, 500);
    for (const run of overdue) {
      const timer = await this.maintenance.getJob(wakeJobId({ runId: run.id, attempt: run.attempt }));
      if (timer && (await timer.getState()) === 'delayed') {
        await timer.promote().catch((error: unknown) => {
          // It just became due, or another reconciler promoted it: either way it fires now.
          this.logger.debug(`timer of run ${run.id} not promoted: ${(error as Error).message}`);
        });
        continue;
      }
      await this.jobs.enqueue('run.wake', {
        runId: run.id,
        workspaceId: run.workspaceId,
        attempt: run.attempt,
      });
    }
    if (overdue.length > 0)
      this.logger.log(`woke ${overdue.length} waiting run(s) whose timer was missing or late`);
    return overdue.length;
  }

  /**
   * The same threshold as for queued runs: an attempt's job is active for as long as a worker runs
   * it, whatever the attempt's time limit, so the age only spares the checks for runs just started.
   */
  private async recoverLostAttempts(): Promise<number> {
    const candidates = await this.execution.findStaleRunning(
      this.config.STALE_QUEUED_RUN_MS,
      500,
      this.config.WORKER_LOCK_DURATION_MS,
    );
    let recovered = 0;
    for (const run of candidates) {
      const job = await this.runsQueue.getJob(runJobId({ runId: run.id, attempt: run.attempt }));
      if (job && LIVE_JOB_STATES.has(await job.getState())) continue;
      // No job at all: Redis lost it (data loss, a flush), which says nothing about the worker — it may
      // still be running the attempt, and a new attempt now would repeat the steps it is doing. Its
      // script cannot outlive the attempt's time limit, so the run waits for that (plus the lock
      // duration, for settling). A job that failed or ended without settling the run is recovered now.
      if (!job && !run.attemptOverdue) continue;
      if (await this.recover(run)) recovered++;
    }
    if (recovered > 0) this.logger.warn(`recovered ${recovered} running run(s) whose attempt no worker held`);
    return recovered;
  }

  private async recover(run: {
    id: string;
    workspaceId: string;
    automationId: string;
    attempt: number;
    abandonedAttempts: number;
  }): Promise<boolean> {
    const ref = {
      runId: run.id,
      workspaceId: run.workspaceId,
      automationId: run.automationId,
      attempt: run.attempt,
    };
    const lost = run.abandonedAttempts + 1;
    if (lost >= MAX_LOST_ATTEMPTS) {
      const title = 'Attempts keep losing their worker';
      const reason = `${lost} attempts of this run ended without a worker finishing them (the worker stopped, or lost the job); it was not queued again`;
      const transition = await this.engine.escalate(
        ref,
        {
          kind: 'unknown_failure',
          title,
          reason,
          evidence: { attempt: run.attempt, lostAttempts: lost },
          actions: ['retry', 'cancel'],
        },
        { attempt: run.attempt, reason, lostAttempts: lost },
        {
          abandoned: {
            attempt: run.attempt,
            error: LOST_ATTEMPT_ERROR,
            runError: { name: 'WorkerLost', code: 'ATTEMPTS_LOST', message: reason },
          },
        },
      );
      return transition !== null;
    }
    return (await this.engine.requeue(ref, LOST_ATTEMPT_ERROR, LOST_ATTEMPT_REASON)) !== null;
  }
}

export const RECONCILE_SCHEDULER_ID = 'mendflow:runs.reconcile';
