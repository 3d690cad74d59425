import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The API's Prometheus registry: process metrics, HTTP traffic, and the cluster-wide gauges read at
 * scrape time (runs from PostgreSQL, queue depth from Redis). Those gauges are the same on every API
 * replica; a dashboard takes their max across instances. Per-process events (attempts, repairs,
 * deliveries) are counted by the workers (WorkerMetrics).
 */
export class ApiMetrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'mendflow_http_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'mendflow_http_request_duration_seconds',
    help: 'HTTP request duration, by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly runsByStatus = new Gauge({
    name: 'mendflow_runs',
    help: 'Runs by status (all workspaces)',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly runsByFailureClass = new Gauge({
    name: 'mendflow_runs_by_failure_class',
    help: "Runs whose latest attempt failed, by run status and that attempt's failure class (all workspaces)",
    labelNames: ['status', 'failure_class'] as const,
    registers: [this.registry],
  });

  readonly queueJobs = new Gauge({
    name: 'mendflow_queue_jobs',
    help: 'Jobs in each BullMQ queue by state: waiting (no priority), prioritized (run jobs), active, delayed, failed',
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
  });

  readonly queueOldestAge = new Gauge({
    name: 'mendflow_queue_oldest_waiting_age_seconds',
    help: 'Seconds since the oldest job ready to start (waiting or prioritized) became due (added + delay); 0 when none waits',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });

  readonly openInboxItems = new Gauge({
    name: 'mendflow_inbox_open_items',
    help: 'Open action-needed items (all workspaces)',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'mendflow_api_' });
  }
}
