import { z } from 'zod';
import { isoDateTime } from './common';

export const statsOverviewSchema = z
  .object({
    /** Counts per hour by outcome. */
    runsPerHour: z.array(z.looseObject({ hour: isoDateTime })),
    needingAttention: z.array(z.looseObject({ automationId: z.uuid() })),
  })
  .meta({ id: 'StatsOverview' });
