import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * The worker's Prometheus registry, served by the health server at /metrics. Per-process events only
 * (counters and histograms, updated after the work they measure, never in its way); the cluster-wide
 * gauges (runs by status, queue depth) are the API's (ApiMetrics), read at scrape time.
 * Label values come from fixed sets (statuses, failure classes, channel kinds): never a run id,
 * workspace id or anything a user names.
 */
export class WorkerMetrics {
  readonly registry = new Registry();

  readonly attempts = new Counter({
    name: 'mendflow_attempts_total',
    help: 'Attempts run, by outcome (succeeded, waiting, cancelled, abandoned, or the failure class)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly attemptWall = new Histogram({
    name: 'mendflow_attempt_wall_seconds',
    help: 'Wall time of attempts in the sandbox, set-up to result (the sandbox limit caps it at limits.wallMs)',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });

  readonly sandboxOverhead = new Histogram({
    name: 'mendflow_sandbox_overhead_seconds',
    help:
      "Time of an attempt outside the script: the worker's whole sandbox call (hand-off to a sandbox process and back, " +
      'context and bootstrap set-up, compile, teardown, redaction of logs, recording and result) minus the script time ' +
      "(module evaluation to the script's end, the host calls it awaited included)",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });

  readonly runTransitions = new Counter({
    name: 'mendflow_run_transitions_total',
    help:
      'Run state changes made as attempts settle, by the status the run moved to (moot: it had moved on, e.g. ' +
      'cancelled) and the failure class of the attempt (none when it did not fail)',
    labelNames: ['to', 'failure_class'] as const,
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

  readonly repairTokens = new Counter({
    name: 'mendflow_repair_tokens_total',
    help: 'Tokens the repair provider reported for its proposals, by direction (input: prompt, output: completion)',
    labelNames: ['direction'] as const,
    registers: [this.registry],
  });

  readonly repairCost = new Counter({
    name: 'mendflow_repair_cost_usd_total',
    help: 'Cost of repair proposals at REPAIR_PRICE_INPUT_PER_MTOK / REPAIR_PRICE_OUTPUT_PER_MTOK (USD); stays 0 without prices',
    registers: [this.registry],
  });

  readonly notificationDeliveries = new Counter({
    name: 'mendflow_notification_deliveries_total',
    help:
      'Notification delivery tries, by channel kind (webhook, slack, email) and outcome: delivered, retry (this try ' +
      'failed, another follows) or failed (the last try failed)',
    labelNames: ['channel_kind', 'outcome'] as const,
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

  /** A provider call's usage and cost (RepairBudget.costOf: null without prices). */
  recordRepairUsage(usage: { promptTokens: number; completionTokens: number }, costUsd: number | null): void {
    this.repairTokens.inc({ direction: 'input' }, usage.promptTokens);
    this.repairTokens.inc({ direction: 'output' }, usage.completionTokens);
    if (costUsd) this.repairCost.inc(costUsd);
  }
}

/**
 * The sandbox's overhead of one attempt in seconds: the worker's elapsed time for the sandbox call
 * minus the script's own time (AttemptCost.scriptMs), or undefined when the sandbox set nothing up.
 */
export function sandboxOverheadSeconds(elapsedMs: number, scriptMs: number | undefined): number | undefined {
  if (scriptMs === undefined) return undefined;
  return Math.max(0, elapsedMs - scriptMs) / 1000;
}
