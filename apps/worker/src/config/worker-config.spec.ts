import { describe, expect, it } from 'vitest';
import { loadWorkerConfig } from './worker-config';

const base = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/mendflow',
  REDIS_URL: 'redis://127.0.0.1:6379',
  MENDFLOW_SECRET_KEY: 'a'.repeat(64),
};

describe('worker config: retention', () => {
  it('runs a pass every 15 minutes, 500 rows a batch, for at most a minute, by default', () => {
    expect(loadWorkerConfig(base)).toMatchObject({
      RETENTION_INTERVAL_MS: 900_000,
      RETENTION_BATCH_SIZE: 500,
      RETENTION_TIME_BUDGET_MS: 60_000,
    });
  });

  it('takes 0 to turn retention off, and refuses values that would not work, naming them', () => {
    expect(loadWorkerConfig({ ...base, RETENTION_INTERVAL_MS: '0' }).RETENTION_INTERVAL_MS).toBe(0);
    expect(() => loadWorkerConfig({ ...base, RETENTION_INTERVAL_MS: '500' })).toThrow(
      /RETENTION_INTERVAL_MS.*must be 0 \(off\) or at least 1000/,
    );
    expect(() => loadWorkerConfig({ ...base, RETENTION_BATCH_SIZE: '0' })).toThrow(/RETENTION_BATCH_SIZE/);
    expect(() => loadWorkerConfig({ ...base, RETENTION_BATCH_SIZE: '5001' })).toThrow(/RETENTION_BATCH_SIZE/);
    expect(() =>
      loadWorkerConfig({ ...base, RETENTION_INTERVAL_MS: '60000', RETENTION_TIME_BUDGET_MS: '120000' }),
    ).toThrow(/RETENTION_TIME_BUDGET_MS.*must not exceed RETENTION_INTERVAL_MS/);
    // Off, the budget bounds nothing.
    expect(
      loadWorkerConfig({ ...base, RETENTION_INTERVAL_MS: '0', RETENTION_TIME_BUDGET_MS: '120000' })
        .RETENTION_TIME_BUDGET_MS,
    ).toBe(120_000);
  });
});
