import { z } from 'zod';
import { INBOX_KINDS, INBOX_STATUSES } from '../inbox';
import { isoDateTime, jsonValue, listOf, nullableDateTime } from './common';

export const inboxItemSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(INBOX_KINDS),
    status: z.enum(INBOX_STATUSES),
    title: z.string(),
    reason: z.string(),
    evidence: jsonValue,
    actions: z.array(z.string()),
    run: z.object({ id: z.uuid() }),
    automation: z.object({ id: z.uuid(), name: z.string() }),
    repairId: z.uuid().nullable(),
    resolution: z
      .object({
        action: z.string(),
        by: z.string().nullable(),
        comment: z.string().nullable(),
        at: nullableDateTime,
      })
      .nullable(),
    createdAt: isoDateTime,
    expiresAt: nullableDateTime,
  })
  .meta({ id: 'InboxItem' });
export const inboxItemListSchema = listOf(inboxItemSchema).meta({ id: 'InboxItemList' });
