import { describe, expect, it } from 'vitest';
import { sandboxOverheadSeconds, WorkerMetrics } from './worker-metrics';

describe('WorkerMetrics', () => {
  it("overhead is the sandbox call's time less the script's, never negative, none without a set-up", () => {
    expect(sandboxOverheadSeconds(12.5, 10)).toBeCloseTo(0.0025, 10);
    // The clocks of worker and sandbox process differ by a hair: a script "longer" than the call is 0.
    expect(sandboxOverheadSeconds(10, 10.2)).toBe(0);
    expect(sandboxOverheadSeconds(3, undefined)).toBeUndefined();
  });

  it('counts repair tokens by direction and a cost only when prices are configured', async () => {
    const metrics = new WorkerMetrics();
    metrics.recordRepairUsage({ promptTokens: 120, completionTokens: 30 }, null);
    metrics.recordRepairUsage({ promptTokens: 80, completionTokens: 20 }, 0.0015);
    const tokens = (await metrics.repairTokens.get()).values.map((v) => [v.labels.direction, v.value]);
    expect(Object.fromEntries(tokens)).toEqual({ input: 200, output: 50 });
    expect((await metrics.repairCost.get()).values[0]?.value).toBe(0.0015);
  });
});
