import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { EXIT_DRAIN_TIMEOUT, EXIT_FATAL, ProcessLifecycle } from './process-lifecycle';

/** A lifecycle on a fake process, with timers the test fires by hand and an exit that only records. */
function harness() {
  const timers: { ms: number; fire: () => void }[] = [];
  const exit = vi.fn<(code: number) => void>();
  const logger = { log: vi.fn(), warn: vi.fn(), error: vi.fn(), fatal: vi.fn() };
  const lifecycle = new ProcessLifecycle({
    drainGraceMs: 25_000,
    fatalGraceMs: 5000,
    exit,
    setTimer: (fire, ms) => timers.push({ ms, fire }),
    logger,
  });
  const proc = new EventEmitter();
  lifecycle.install(proc);
  return { lifecycle, proc, timers, exit, logger };
}

const hanging = () => vi.fn(() => new Promise<void>(() => undefined));
const settles = () => vi.fn(async () => undefined);
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('ProcessLifecycle', () => {
  it('drains on SIGTERM: runs the shutdown hooks, then exits 0', async () => {
    const { lifecycle, proc, timers, exit } = harness();
    const shutdown = settles();
    lifecycle.attach(shutdown);
    expect(lifecycle.state).toBe('running');
    proc.emit('SIGTERM');
    expect(lifecycle.state).toBe('stopping');
    expect(shutdown).toHaveBeenCalledOnce();
    expect(timers.map((t) => t.ms)).toEqual([25_000]);
    await flush();
    expect(exit).toHaveBeenCalledExactlyOnceWith(0);
    timers[0]!.fire();
    expect(exit).toHaveBeenCalledTimes(1);
  });

  it('exits when the drain grace runs out although a shutdown hook never returns', async () => {
    const { lifecycle, proc, timers, exit } = harness();
    lifecycle.attach(hanging());
    proc.emit('SIGINT');
    await flush();
    expect(exit).not.toHaveBeenCalled();
    timers[0]!.fire();
    expect(exit).toHaveBeenCalledExactlyOnceWith(EXIT_DRAIN_TIMEOUT);
  });

  it('does not cut a drain short when the same signal comes again', async () => {
    const { lifecycle, proc, timers, exit } = harness();
    const shutdown = hanging();
    lifecycle.attach(shutdown);
    proc.emit('SIGTERM');
    proc.emit('SIGTERM');
    await flush();
    expect(shutdown).toHaveBeenCalledTimes(1);
    expect(timers).toHaveLength(1);
    expect(exit).not.toHaveBeenCalled();
  });

  it('exits with EXIT_FATAL within the fatal grace after an uncaught exception, even if the hooks hang', async () => {
    const { lifecycle, proc, timers, exit, logger } = harness();
    const shutdown = hanging();
    lifecycle.attach(shutdown);
    proc.emit('uncaughtException', new Error('wedged'));
    expect(logger.fatal).toHaveBeenCalledWith(expect.stringMatching(/uncaught exception: Error: wedged/));
    expect(shutdown).toHaveBeenCalledOnce();
    expect(timers.map((t) => t.ms)).toEqual([5000]);
    await flush();
    expect(exit).not.toHaveBeenCalled();
    timers[0]!.fire();
    expect(exit).toHaveBeenCalledExactlyOnceWith(EXIT_FATAL);
  });

  it('exits with EXIT_FATAL as soon as the hooks finish after an unhandled rejection', async () => {
    const { lifecycle, proc, exit } = harness();
    lifecycle.attach(settles());
    proc.emit('unhandledRejection', 'nobody caught this');
    await flush();
    expect(exit).toHaveBeenCalledExactlyOnceWith(EXIT_FATAL);
  });

  it('a fatal error reported during a drain shortens it to the fatal grace and makes it a failure', async () => {
    const { lifecycle, proc, timers, exit } = harness();
    const shutdown = hanging();
    lifecycle.attach(shutdown);
    proc.emit('SIGTERM');
    lifecycle.fatal('the sandbox pool is gone');
    expect(shutdown).toHaveBeenCalledTimes(1);
    expect(timers.map((t) => t.ms)).toEqual([25_000, 5000]);
    timers[1]!.fire();
    timers[0]!.fire();
    expect(exit).toHaveBeenCalledExactlyOnceWith(EXIT_FATAL);
  });

  it('a drain whose hooks settle after a fatal report exits with EXIT_FATAL', async () => {
    const { lifecycle, proc, exit } = harness();
    let finish!: () => void;
    lifecycle.attach(() => new Promise<void>((resolve) => (finish = resolve)));
    proc.emit('SIGTERM');
    lifecycle.fatal('boom');
    finish();
    await flush();
    expect(exit).toHaveBeenCalledExactlyOnceWith(EXIT_FATAL);
  });

  it('a stop during the boot runs the hooks once the application is up, its grace already counting', async () => {
    const { lifecycle, proc, timers, exit } = harness();
    expect(lifecycle.state).toBe('starting');
    proc.emit('SIGTERM');
    expect(timers).toHaveLength(1);
    const shutdown = settles();
    lifecycle.attach(shutdown);
    expect(shutdown).toHaveBeenCalledOnce();
    await flush();
    expect(exit).toHaveBeenCalledExactlyOnceWith(0);
  });

  it('a boot that never ends does not hold a stop: the grace still exits', () => {
    const { proc, timers, exit } = harness();
    proc.emit('uncaughtException', new Error('during the boot'));
    timers[0]!.fire();
    expect(exit).toHaveBeenCalledExactlyOnceWith(EXIT_FATAL);
  });

  it('a shutdown that fails still exits, with a failure code', async () => {
    const { lifecycle, proc, exit, logger } = harness();
    lifecycle.attach(async () => Promise.reject(new Error('hook threw')));
    proc.emit('SIGTERM');
    await flush();
    expect(logger.error).toHaveBeenCalledWith(expect.stringMatching(/shutdown failed: Error: hook threw/));
    expect(exit).toHaveBeenCalledExactlyOnceWith(1);
  });
});
