import { describe, expect, it } from 'vitest';
import { formatDuration, formatRelative, humanize, shortId } from './format';

const NOW = Date.parse('2026-11-21T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

describe('formatRelative', () => {
  it.each([
    [ago(3_000), 'just now'],
    [ago(45_000), '45 seconds ago'],
    [ago(60_000), '1 minute ago'],
    [ago(5 * 60_000), '5 minutes ago'],
    [ago(2 * 3600_000), '2 hours ago'],
    [ago(24 * 3600_000), 'yesterday'],
    [ago(3 * 24 * 3600_000), '3 days ago'],
    [new Date(NOW + 2 * 60_000).toISOString(), 'in 2 minutes'],
  ])('%s -> %s', (iso, expected) => {
    expect(formatRelative(iso, NOW)).toBe(expected);
  });

  it('shows a dash for an unparsable time', () => {
    expect(formatRelative('not a date', NOW)).toBe('—');
  });
});

describe('formatDuration', () => {
  const start = '2026-11-21T12:00:00.000Z';
  const plus = (ms: number) => new Date(Date.parse(start) + ms).toISOString();

  it.each([
    [0, '0 ms'],
    [850, '850 ms'],
    [4_200, '4.2 s'],
    [42_000, '42 s'],
    [185_000, '3 min 05 s'],
    [2 * 3600_000 + 10 * 60_000, '2 h 10 min'],
  ])('%d ms -> %s', (ms, expected) => {
    expect(formatDuration(start, plus(ms))).toBe(expected);
  });

  it('shows a dash when the end is before the start', () => {
    expect(formatDuration(plus(1000), start)).toBe('—');
  });
});

describe('humanize and shortId', () => {
  it('turns snake case into words', () => {
    expect(humanize('retry_scheduled')).toBe('retry scheduled');
  });
  it('keeps the first segment of a UUID', () => {
    expect(shortId('0a1b2c3d-0000-4000-8000-000000000001')).toBe('0a1b2c3d');
  });
});
