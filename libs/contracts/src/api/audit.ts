import { z } from 'zod';
import { isoDateTime, jsonValue, pageOf } from './common';

export const auditEntrySchema = z
  .object({
    /** Ascending with time: a decimal string (the entries are numbered, not UUIDs). */
    id: z.string().regex(/^\d+$/),
    actor: z.object({
      kind: z.string(),
      id: z.string().nullable(),
      email: z.string().nullable(),
    }),
    action: z.string(),
    target: z.object({ kind: z.string(), id: z.string().nullable() }),
    data: jsonValue,
    createdAt: isoDateTime,
  })
  .meta({ id: 'AuditEntry' });
export const auditPageSchema = pageOf(auditEntrySchema).meta({ id: 'AuditPage' });
