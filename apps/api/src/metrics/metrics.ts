import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The API's Prometheus registry: process metrics, HTTP traffic, and run/queue gauges read at scrape time. */
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

  readonly openInboxItems = new Gauge({
    name: 'mendflow_inbox_open_items',
    help: 'Open action-needed items (all workspaces)',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'mendflow_api_' });
  }
}
