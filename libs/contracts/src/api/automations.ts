import { z } from 'zod';
import { SCRIPT_LANGUAGES } from '../script-language';
import { isoDateTime, jsonValue, listOf, pageOf } from './common';

export const versionSummarySchema = z
  .object({
    id: z.uuid(),
    number: z.int(),
    /** What the source is written in; TypeScript is type-stripped before it is linted and run. */
    language: z.enum(SCRIPT_LANGUAGES),
    createdBy: z.object({ kind: z.string(), id: z.string().nullable() }),
    createdAt: isoDateTime,
  })
  .meta({ id: 'VersionSummary' });

export const versionSchema = versionSummarySchema
  .extend({ source: z.string(), manifest: jsonValue })
  .meta({ id: 'Version' });
export const versionListSchema = listOf(versionSchema).meta({ id: 'VersionList' });

const automationFields = {
  id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  status: z.enum(['active', 'paused']),
  latestVersion: z.int(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
};

/** Unnamed: it is only ever served with its stats (AutomationWithStats). */
export const automationSchema = z.object({
  ...automationFields,
  deployedVersion: versionSummarySchema.nullable(),
});

export const automationDetailSchema = z
  .object({ ...automationFields, deployedVersion: versionSchema.nullable() })
  .meta({ id: 'AutomationDetail' });

export const automationStatsSchema = z
  .object({
    lastRun: z.object({ id: z.uuid(), status: z.string(), createdAt: isoDateTime }).nullable(),
    successRate: z.number().nullable(),
    runsLast7Days: z.int(),
    openInboxItems: z.int(),
  })
  .meta({ id: 'AutomationStats' });

export const automationWithStatsSchema = automationSchema
  .extend({ stats: automationStatsSchema })
  .meta({ id: 'AutomationWithStats' });
export const automationDetailWithStatsSchema = automationDetailSchema
  .extend({ stats: automationStatsSchema })
  .meta({ id: 'AutomationDetailWithStats' });
export const automationPageSchema = pageOf(automationWithStatsSchema).meta({ id: 'AutomationPage' });
