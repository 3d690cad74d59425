import { z } from 'zod';

/** The one shape of every error answer (apps/api/src/common/http-error.filter.ts writes it). */
export const errorEnvelopeSchema = z
  .object({
    error: z.object({
      /** Stable and machine-readable (libs/common/src/errors.ts owns the codes), e.g. AUTOMATION_NOT_FOUND. */
      code: z.string(),
      message: z.string(),
      /** What the code needs to be acted on, e.g. the fields a validation error names. */
      details: z.unknown().optional(),
      /** Set on 500s: the id the server logged the failure under. */
      requestId: z.string().optional(),
    }),
  })
  .meta({ id: 'Error' });
export type ErrorEnvelope = z.infer<typeof errorEnvelopeSchema>;
