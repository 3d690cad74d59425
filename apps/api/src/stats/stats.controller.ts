import { Controller, Get, Query } from '@nestjs/common';
import { statsOverviewSchema } from '@mendflow/contracts/api';
import { ApiContract } from '../common/api-contract';
import { ApiTags } from '@nestjs/swagger';
import { StatsRepository } from '@mendflow/db';
import { z } from 'zod';
import { CurrentPrincipal, type Principal, Requires } from '../auth/principal';
import { ZodPipe } from '../common/zod.pipe';

const overviewQuery = z.strictObject({ hours: z.coerce.number().int().min(1).max(168).default(24) });

@ApiTags('stats')
@Controller('api/v1/stats')
export class StatsController {
  constructor(private readonly stats: StatsRepository) {}

  @Get('overview')
  @Requires('workspace:read')
  @ApiContract({
    summary: 'Runs per hour by outcome, and the automations that need attention',
    response: { status: 200, schema: statsOverviewSchema },
  })
  async overview(
    @CurrentPrincipal() principal: Principal,
    @Query(new ZodPipe(overviewQuery)) query: z.output<typeof overviewQuery>,
  ) {
    const [hourly, attention] = await Promise.all([
      this.stats.runsPerHour(principal.workspaceId, query.hours),
      this.stats.needingAttention(principal.workspaceId, 10),
    ]);
    return {
      runsPerHour: hourly.map((h) => ({ ...h, hour: h.hour.toISOString() })),
      needingAttention: attention,
    };
  }
}
