import { describe, expect, it, vi } from 'vitest';
import { JobSchedulerKeeper } from './scheduler-keeper';

function harness(present: () => Promise<unknown>) {
  const write = vi.fn(async () => undefined);
  const warn = vi.fn();
  const keeper = new JobSchedulerKeeper(
    { getJobScheduler: present as never },
    { id: 'mendflow:test', label: 'the test pass', write },
    { warn },
  );
  return { keeper, write, warn };
}

describe('JobSchedulerKeeper', () => {
  it('writes nothing while the scheduler is there, and writes it again once it is gone', async () => {
    let there = true;
    const { keeper, write, warn } = harness(async () => (there ? { key: 'mendflow:test' } : undefined));
    expect(await keeper.check()).toBe(false);
    expect(write).not.toHaveBeenCalled();
    there = false;
    expect(await keeper.check()).toBe(true);
    expect(write).toHaveBeenCalledOnce();
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^the test pass had no job scheduler/));
  });

  it('never rejects when Redis is down: it logs, and a later check tries again', async () => {
    const { keeper, write, warn } = harness(async () => Promise.reject(new Error('connect ECONNREFUSED')));
    expect(await keeper.check()).toBe(false);
    expect(write).not.toHaveBeenCalled();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('ECONNREFUSED'));
  });

  it('skips a check while another is under way', async () => {
    let release!: () => void;
    const { keeper, write } = harness(() => new Promise((resolve) => (release = () => resolve(undefined))));
    const first = keeper.check();
    expect(await keeper.check()).toBe(false);
    release();
    expect(await first).toBe(true);
    expect(write).toHaveBeenCalledOnce();
  });
});
