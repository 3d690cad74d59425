import { z } from 'zod';

/**
 * A workspace's retention settings (docs/operations.md "Retention"): resting runs older than
 * `runRetentionDays` go with their attempts (logs, recordings), events and steps, except the newest
 * `keepRunsPerAutomation` runs of each automation; audit entries go after `auditRetentionDays`, which
 * may not be shorter than the runs' days (the audit trail outlives what it describes).
 */
export const RETENTION_DEFAULTS = {
  runRetentionDays: 30,
  keepRunsPerAutomation: 100,
  auditRetentionDays: 365,
} as const;

export const RETENTION_LIMITS = {
  /** Ten years: anything longer is "keep forever", which a number this large already means in practice. */
  maxDays: 3650,
  maxKeepRuns: 10_000,
} as const;

const days = z
  .int('must be a whole number of days')
  .min(1, 'must be at least 1')
  .max(RETENTION_LIMITS.maxDays, `must be at most ${RETENTION_LIMITS.maxDays}`);

/** The settings as stored and as PUT takes them (all three fields, nothing else). */
export const retentionSettingsSchema = z
  .strictObject({
    runRetentionDays: days,
    keepRunsPerAutomation: z
      .int('must be a whole number of runs')
      .min(0, 'must be at least 0')
      .max(RETENTION_LIMITS.maxKeepRuns, `must be at most ${RETENTION_LIMITS.maxKeepRuns}`),
    auditRetentionDays: days,
  })
  .superRefine((settings, context) => {
    if (settings.auditRetentionDays < settings.runRetentionDays) {
      context.addIssue({
        code: 'custom',
        path: ['auditRetentionDays'],
        message: 'must be at least runRetentionDays (audit entries are kept longer than runs)',
      });
    }
  });
export type RetentionSettings = z.output<typeof retentionSettingsSchema>;
