import { z } from 'zod';
import { REPAIR_STATUSES } from '../repairs';
import { isoDateTime, jsonValue, listOf } from './common';

const repairSummaryFields = {
  id: z.uuid(),
  automationId: z.uuid(),
  runId: z.uuid(),
  attempt: z.int(),
  status: z.enum(REPAIR_STATUSES),
  provider: z.string().nullable(),
  model: z.string().nullable(),
  explanation: z.string().nullable(),
  deployedVersionId: z.uuid().nullable(),
  tokens: z.object({ prompt: z.int(), completion: z.int(), total: z.int() }),
  costUsd: z.number().nullable(),
  error: z.string().nullable(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
};
export const repairSummarySchema = z.object(repairSummaryFields).meta({ id: 'RepairSummary' });
export const repairListSchema = listOf(repairSummarySchema).meta({ id: 'RepairList' });
export const repairSchema = z
  .object({
    ...repairSummaryFields,
    baseVersionId: z.uuid().nullable(),
    candidateSource: z.string().nullable(),
    diff: z.string().nullable(),
    validation: jsonValue,
    prompt: jsonValue,
    answer: z.string().nullable(),
  })
  .meta({ id: 'Repair' });
