import { z } from 'zod';

/** An emitted event: the runs it started, and the subscribers that did not get one and why. */
export const routedEventSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    runs: z.array(z.object({ id: z.uuid(), automationId: z.uuid() })),
    skipped: z.array(z.object({ automationId: z.uuid(), code: z.string(), reason: z.string() })),
  })
  .meta({ id: 'RoutedEvent' });
