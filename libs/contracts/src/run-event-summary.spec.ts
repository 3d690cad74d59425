import { describe, expect, it } from 'vitest';
import { RUN_EVENT_TYPES } from './run-events';
import { formatDelay, summarizeRunEvent } from './run-event-summary';

const failure = {
  attempt: 1,
  error: { name: 'FetchError', message: 'socket hang up' },
  classification: { class: 'transient', reason: 'network' },
};

describe('summarizeRunEvent', () => {
  it('says what each catalog event means in one line', () => {
    expect(summarizeRunEvent({ type: 'run.running', data: { attempt: 2 } })).toBe('Attempt 2 started');
    expect(
      summarizeRunEvent({
        type: 'run.retry_scheduled',
        data: { ...failure, delayMs: 4000, nextAttemptAt: '2030-01-01T00:00:04Z' },
      }),
    ).toBe('Retry in 4 s after a transient failure: socket hang up');
    expect(
      summarizeRunEvent({
        type: 'run.waiting',
        data: { attempt: 1, kind: 'approval', until: '2030-01-01T00:00:00Z', title: 'Send invoice' },
      }),
    ).toBe('Waiting for approval: Send invoice');
    expect(
      summarizeRunEvent({
        type: 'run.resumed',
        data: { kind: 'approval', approved: true, by: 'ab12cd34-ffff' },
      }),
    ).toBe('Resumed: approved by user ab12cd34');
    expect(summarizeRunEvent({ type: 'run.resumed', data: { kind: 'approval', expired: true } })).toBe(
      'Resumed: the approval request expired',
    );
    expect(summarizeRunEvent({ type: 'run.cancelled', data: { by: null, reason: 'wrong input' } })).toBe(
      'Cancelled: wrong input',
    );
    expect(summarizeRunEvent({ type: 'repair.deployed', data: { repairId: 'r', version: 3 } })).toBe(
      'Repair deployed as version 3',
    );
    expect(
      summarizeRunEvent({ type: 'attempt.abandoned', data: { attempt: 1, reason: 'worker shut down' } }),
    ).toBe('Attempt 1 abandoned, queued again: worker shut down');
  });

  it('never throws: unknown or malformed events get a line from their type', () => {
    expect(summarizeRunEvent({ type: 'future.thing_done', data: null })).toBe('Future thing done');
    expect(summarizeRunEvent({ type: 'run.running', data: { attempt: 'x' } })).toBe('Run running');
    for (const type of RUN_EVENT_TYPES) expect(typeof summarizeRunEvent({ type, data: {} })).toBe('string');
  });

  it('formats delays briefly', () => {
    expect(formatDelay(350)).toBe('350 ms');
    expect(formatDelay(1500)).toBe('1.5 s');
    expect(formatDelay(120_000)).toBe('2 min');
  });
});
