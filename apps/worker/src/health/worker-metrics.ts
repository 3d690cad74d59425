import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** The worker's Prometheus registry, served by the health server at /metrics. */
export class WorkerMetrics {
  readonly registry = new Registry();

  readonly attempts = new Counter({
    name: 'mendflow_attempts_total',
    help: 'Attempts run, by outcome (succeeded, or the failure class)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly attemptWall = new Histogram({
    name: 'mendflow_attempt_wall_seconds',
    help: 'Wall time of attempts in the sandbox',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
    registers: [this.registry],
  });

  readonly deferredJobs = new Counter({
    name: 'mendflow_run_jobs_deferred_total',
    help: "Run jobs put back in the queue for a moment because their automation held its share of the worker's slots",
    registers: [this.registry],
  });

  readonly scheduleTicks = new Counter({
    name: 'mendflow_schedule_ticks_total',
    help: 'Schedule ticks handled, by outcome (run_created, skipped_overlap, skipped_missed, caught_up, gone)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly repairs = new Counter({
    name: 'mendflow_repairs_total',
    help: 'Repairs finished, by result (deployed, awaiting_approval, failed)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly retentionDeleted = new Counter({
    name: 'mendflow_retention_deleted_total',
    help: 'Rows the retention pass deleted, by kind (runs, attempts, events, steps, inbox_items, repairs, notification_deliveries, emitted_events, secret_requests, audit_entries)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'mendflow_worker_' });
  }
}
