import { getQueueToken } from '@nestjs/bullmq';
import { Controller, Get, Header, Inject, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FAILURE_CLASSES, RUN_STATUSES } from '@mendflow/contracts';
import { DB, type Db } from '@mendflow/db';
import { type QueueName, QueueNames } from '@mendflow/queue';
import { Public } from '../auth/principal';
import { ApiMetrics } from './metrics';
import { MetricsTokenGuard } from './metrics-token.guard';
import { type QueueCountsSource, QUEUE_JOB_STATES, readQueueDepth } from './queue-depth';
import { readRunCounts } from './run-counts';
import { ScrapeCache } from './scrape-cache';

/** How long one read of PostgreSQL and Redis serves scrapes. Prometheus scrapes every 15 s by default. */
export const SCRAPE_CACHE_MS = 5000;
const QUEUES = Object.values(QueueNames);
export const QUEUE_SOURCES = Symbol('mendflow.metrics.queue-sources');

/**
 * Prometheus scrape endpoint. Scrapers carry no API key, so it needs none (`@Public`), but its counts
 * span every workspace: it answers only with the METRICS_TOKEN (MetricsTokenGuard). It exposes counts
 * only, never names, ids or anything from a script.
 */
@ApiExcludeController()
@Public()
@UseGuards(MetricsTokenGuard)
@Controller()
export class MetricsController {
  private readonly gauges: ScrapeCache<void>;

  constructor(
    private readonly metrics: ApiMetrics,
    @Inject(DB) private readonly db: Db,
    @Inject(QUEUE_SOURCES) private readonly queues: Record<QueueName, QueueCountsSource>,
  ) {
    this.gauges = new ScrapeCache(() => this.readGauges(), SCRAPE_CACHE_MS);
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    await this.gauges.get();
    return this.metrics.registry.metrics();
  }

  private async readGauges(): Promise<void> {
    const [runs, open, depths] = await Promise.all([
      readRunCounts(this.db),
      this.db.inboxItem.count({ where: { status: 'open' } }),
      Promise.all(QUEUES.map((queue) => readQueueDepth(queue, this.queues[queue]))),
    ]);
    const { runsByStatus, runsByFailureClass, queueJobs, queueOldestAge } = this.metrics;
    // Every status and class is set (0 when none), so a series never vanishes when its count drops to 0.
    for (const status of RUN_STATUSES) {
      runsByStatus.set({ status }, 0);
      for (const failure_class of FAILURE_CLASSES) runsByFailureClass.set({ status, failure_class }, 0);
    }
    for (const row of runs) {
      runsByStatus.inc({ status: row.status }, row.count);
      if (row.failureClass)
        runsByFailureClass.inc({ status: row.status, failure_class: row.failureClass }, row.count);
    }
    this.metrics.openInboxItems.set(open);
    for (const depth of depths) {
      for (const state of QUEUE_JOB_STATES) queueJobs.set({ queue: depth.queue, state }, depth.counts[state]);
      queueOldestAge.set({ queue: depth.queue }, depth.oldestWaitingAgeSeconds);
    }
  }
}

/** The catalog's queues as the API registered them (EngineModule), for the depth gauges. */
export const queueSourcesProvider = {
  provide: QUEUE_SOURCES,
  inject: QUEUES.map((name) => getQueueToken(name)),
  useFactory: (...queues: QueueCountsSource[]) =>
    Object.fromEntries(QUEUES.map((name, i) => [name, queues[i]])) as Record<QueueName, QueueCountsSource>,
};
