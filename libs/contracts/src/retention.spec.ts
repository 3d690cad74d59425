import { describe, expect, it } from 'vitest';
import { RETENTION_DEFAULTS, retentionSettingsSchema } from './retention';

function issues(input: unknown) {
  const result = retentionSettingsSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('retention settings', () => {
  it('accepts the defaults and the bounds', () => {
    expect(issues(RETENTION_DEFAULTS)).toEqual([]);
    expect(issues({ runRetentionDays: 1, keepRunsPerAutomation: 0, auditRetentionDays: 1 })).toEqual([]);
    expect(
      issues({ runRetentionDays: 3650, keepRunsPerAutomation: 10_000, auditRetentionDays: 3650 }),
    ).toEqual([]);
  });

  it('names the field out of bounds', () => {
    expect(issues({ ...RETENTION_DEFAULTS, runRetentionDays: 0 })).toEqual([
      'runRetentionDays: must be at least 1',
    ]);
    expect(issues({ ...RETENTION_DEFAULTS, runRetentionDays: 3651, auditRetentionDays: 3651 })).toEqual([
      'runRetentionDays: must be at most 3650',
      'auditRetentionDays: must be at most 3650',
    ]);
    expect(issues({ ...RETENTION_DEFAULTS, keepRunsPerAutomation: -1 })).toEqual([
      'keepRunsPerAutomation: must be at least 0',
    ]);
    expect(issues({ ...RETENTION_DEFAULTS, keepRunsPerAutomation: 10_001 })).toEqual([
      'keepRunsPerAutomation: must be at most 10000',
    ]);
    expect(issues({ ...RETENTION_DEFAULTS, runRetentionDays: 1.5 })).toEqual([
      'runRetentionDays: must be a whole number of days',
    ]);
    expect(issues({ ...RETENTION_DEFAULTS, keepRunsPerAutomation: '5' })).toEqual([
      'keepRunsPerAutomation: must be a whole number of runs',
    ]);
  });

  it('keeps audit entries at least as long as runs', () => {
    expect(issues({ runRetentionDays: 90, keepRunsPerAutomation: 10, auditRetentionDays: 30 })).toEqual([
      'auditRetentionDays: must be at least runRetentionDays (audit entries are kept longer than runs)',
    ]);
    expect(issues({ runRetentionDays: 90, keepRunsPerAutomation: 10, auditRetentionDays: 90 })).toEqual([]);
  });

  it('takes all three fields and nothing else', () => {
    expect(issues({ runRetentionDays: 30, auditRetentionDays: 365 })).toEqual([
      'keepRunsPerAutomation: must be a whole number of runs',
    ]);
    expect(issues({ ...RETENTION_DEFAULTS, keepForever: true })).toEqual([
      ': Unrecognized key: "keepForever"',
    ]);
  });
});
