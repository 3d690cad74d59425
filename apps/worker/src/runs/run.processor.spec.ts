import { RUN_JOB_NAME, type RunJobPayload } from '@mendflow/queue';
import { DelayedError, type Job } from 'bullmq';
import { describe, expect, it, vi } from 'vitest';
import type { WorkerConfig } from '../config/worker-config';
import { WorkerMetrics } from '../health/worker-metrics';
import type { RunExecutor } from './run-executor.service';
import { RunProcessor } from './run.processor';
import type { RunEngine } from '@mendflow/engine';

const workspaceId = '00000000-0000-4000-8000-000000000001';
const automationId = '00000000-0000-4000-8000-000000000002';
const config = { WORKER_CONCURRENCY: 4, WORKER_AUTOMATION_SHARE: 0.25 } as WorkerConfig; // one slot each

function fakeJob(moveToDelayed = vi.fn(async () => undefined)) {
  const data: RunJobPayload = { runId: crypto.randomUUID(), workspaceId, automationId, attempt: 1 };
  return {
    job: { id: 'j', name: RUN_JOB_NAME, data, attemptsStarted: 1, moveToDelayed } as unknown as Job,
    moveToDelayed,
  };
}

/** An executor whose attempts run until the test lets them end. */
function heldExecutor() {
  const finish: (() => void)[] = [];
  const execute = vi.fn((_job: RunJobPayload) => new Promise<void>((resolve) => finish.push(resolve)));
  return {
    executor: { execute } as unknown as RunExecutor,
    execute,
    finishAll: () => finish.forEach((f) => f()),
  };
}

describe('RunProcessor fairness', () => {
  it('puts a job over its automation share back in the queue, briefly, without running or failing it', async () => {
    const { executor, execute, finishAll } = heldExecutor();
    const metrics = new WorkerMetrics();
    const processor = new RunProcessor(executor, config, metrics, {
      refill: async () => 0,
    } as unknown as RunEngine);
    const running = processor.process(fakeJob().job, 'token-1');
    const over = fakeJob();
    const before = Date.now();
    await expect(processor.process(over.job, 'token-2')).rejects.toBeInstanceOf(DelayedError);
    expect(execute).toHaveBeenCalledTimes(1);
    const [until, token] = over.moveToDelayed.mock.calls[0] as unknown as [number, string];
    expect(token).toBe('token-2');
    expect(until - before).toBeGreaterThanOrEqual(100);
    expect(until - Date.now()).toBeLessThanOrEqual(250);
    expect((await metrics.deferredJobs.get()).values[0]?.value).toBe(1);
    finishAll();
    await running;
  });

  it('runs the job past the share when it cannot be put back, rather than risk the run', async () => {
    const { executor, execute, finishAll } = heldExecutor();
    const processor = new RunProcessor(executor, config, new WorkerMetrics(), {
      refill: async () => 0,
    } as unknown as RunEngine);
    const first = processor.process(fakeJob().job, 'token-1');
    const stuck = fakeJob(vi.fn(async () => Promise.reject(new Error('Missing lock for job j'))));
    const second = processor.process(stuck.job, 'token-2');
    await vi.waitFor(() => expect(execute).toHaveBeenCalledTimes(2));
    finishAll();
    await Promise.all([first, second]);
  });

  it('gives the slot back when the attempt throws', async () => {
    const execute = vi.fn(async () => Promise.reject(new Error('boom')));
    const processor = new RunProcessor({ execute } as unknown as RunExecutor, config, new WorkerMetrics(), {
      refill: async () => 0,
    } as unknown as RunEngine);
    await expect(processor.process(fakeJob().job, 'token-1')).rejects.toThrow('boom');
    const next = fakeJob();
    await expect(processor.process(next.job, 'token-2')).rejects.toThrow('boom');
    expect(next.moveToDelayed).not.toHaveBeenCalled();
    expect(execute).toHaveBeenCalledTimes(2);
  });
});
