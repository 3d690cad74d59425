import { Controller, Get, Header, Inject, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { DB, type Db } from '@mendflow/db';
import { Public } from '../auth/principal';
import { ApiMetrics } from './metrics';
import { MetricsTokenGuard } from './metrics-token.guard';

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
  constructor(
    private readonly metrics: ApiMetrics,
    @Inject(DB) private readonly db: Db,
  ) {}

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    const [byStatus, open] = await Promise.all([
      this.db.run.groupBy({ by: ['status'], _count: { _all: true } }),
      this.db.inboxItem.count({ where: { status: 'open' } }),
    ]);
    this.metrics.runsByStatus.reset();
    for (const row of byStatus) this.metrics.runsByStatus.set({ status: row.status }, row._count._all);
    this.metrics.openInboxItems.set(open);
    return this.metrics.registry.metrics();
  }
}
