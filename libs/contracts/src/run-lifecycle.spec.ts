import { describe, expect, it } from 'vitest';
import {
  CANCELLABLE_RUN_STATUSES,
  canTransition,
  RETRYABLE_RUN_STATUSES,
  RUN_COMMANDS,
  RUN_STATUSES,
  TERMINAL_RUN_STATUSES,
} from './run-lifecycle';
import { parseRunEvent, RUN_EVENT_TYPES, runEvent, statusAfter } from './run-events';

describe('run lifecycle table', () => {
  it('derives the finished statuses: only a retry moves them again', () => {
    expect(TERMINAL_RUN_STATUSES).toEqual(['succeeded', 'failed', 'cancelled']);
  });

  it('lets every unfinished run be cancelled, and finished or stuck runs be retried', () => {
    expect(CANCELLABLE_RUN_STATUSES).toEqual([
      'queued',
      'running',
      'retry_scheduled',
      'repairing',
      'waiting',
      'action_needed',
    ]);
    expect(RETRYABLE_RUN_STATUSES).toEqual(['failed', 'cancelled', 'action_needed']);
  });

  it('allows exactly the moves some command makes', () => {
    expect(canTransition('waiting', 'queued')).toBe(true);
    expect(canTransition('waiting', 'running')).toBe(false);
    expect(canTransition('succeeded', 'queued')).toBe(false);
    expect(canTransition('running', 'running')).toBe(true); // a lost worker's attempt is replaced
  });

  it('every status is reachable and every command appends a catalog event', () => {
    const reached = new Set(Object.values(RUN_COMMANDS).map((c) => c.to));
    expect([...reached].sort()).toEqual([...RUN_STATUSES].sort());
    for (const command of Object.values(RUN_COMMANDS)) expect(RUN_EVENT_TYPES).toContain(command.event);
  });
});

describe('run event catalog', () => {
  it('says which status an event leaves its run in', () => {
    expect(statusAfter('repair.deployed')).toBe('queued');
    expect(statusAfter('attempt.abandoned')).toBe('queued');
    expect(statusAfter('run.waiting')).toBe('waiting');
    expect(statusAfter('run.resumed')).toBe('queued');
    expect(statusAfter('repair.proposed')).toBeNull();
    expect(statusAfter('something.new')).toBeNull();
  });

  it('refuses to build an event whose data does not fit its schema', () => {
    expect(() => runEvent('run.running', { attempt: 0 })).toThrow();
    expect(runEvent('run.running', { attempt: 2 })).toEqual({ type: 'run.running', data: { attempt: 2 } });
  });

  it('reads unknown or malformed events as unknown instead of throwing, and keeps extra fields', () => {
    expect(parseRunEvent({ type: 'future.thing', data: { a: 1 } })).toEqual({
      known: false,
      type: 'future.thing',
      data: { a: 1 },
    });
    expect(parseRunEvent({ type: 'run.running', data: { attempt: 'x' } }).known).toBe(false);
    expect(parseRunEvent({ type: 'run.running', data: { attempt: 1, extra: true } })).toEqual({
      known: true,
      type: 'run.running',
      data: { attempt: 1, extra: true },
    });
  });
});
