import { z } from 'zod';
import { TRIGGER_KINDS } from '../triggers';
import { isoDateTime, listOf, nullableDateTime } from './common';

export const scheduledRunSchema = z
  .object({ id: z.uuid(), status: z.string(), scheduledAt: isoDateTime, createdAt: isoDateTime })
  .meta({ id: 'ScheduledRun' });

/** A trigger in force; every kind answers every field (an empty list where it means nothing). */
export const triggerSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(TRIGGER_KINDS),
    config: z.unknown(),
    eventName: z.string().nullable(),
    armedAt: isoDateTime,
    lastTickAt: nullableDateTime,
    lastTickOutcome: z.enum(['run_created', 'skipped_overlap', 'skipped_missed']).nullable(),
    lastRunId: z.uuid().nullable(),
    nextFireTimes: z.array(isoDateTime),
    lastRuns: z.array(scheduledRunSchema),
  })
  .meta({ id: 'Trigger' });
export const triggerListSchema = listOf(triggerSchema).meta({ id: 'TriggerList' });
