import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { DB, type Db } from '@mendflow/db';
import { Public } from '../auth/principal';
import { ApiMetrics } from './metrics';

/**
 * Prometheus scrape endpoint. Public like /healthz (scrapers carry no API key); it exposes counts
 * only, never names, ids or anything from a script.
 */
@ApiExcludeController()
@Public()
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
