import { z } from 'zod';
import { isoDateTime } from './common';

export const statsOverviewSchema = z
  .object({
    /** Runs created per hour, by outcome. */
    runsPerHour: z.array(
      z.object({
        hour: isoDateTime,
        succeeded: z.int(),
        failed: z.int(),
        actionNeeded: z.int(),
        other: z.int(),
      }),
    ),
    needingAttention: z.array(
      z.object({
        automationId: z.uuid(),
        name: z.string(),
        openInboxItems: z.int(),
        failedLast24h: z.int(),
      }),
    ),
  })
  .meta({ id: 'StatsOverview' });
