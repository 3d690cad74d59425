import { describe, expect, it } from 'vitest';
import { defaultManifest, manifestSchema } from './manifest';
import { parseOrThrow } from './validation';

describe('manifest', () => {
  it('fills safe defaults: no hosts, no secrets, bounded limits', () => {
    const manifest = defaultManifest();
    expect(manifest.permissions).toEqual({ hosts: [], secrets: [] });
    expect(manifest.limits.timeoutMs).toBe(30_000);
    expect(manifest.retry.maxAttempts).toBeGreaterThan(0);
  });

  it('accepts the documented example', () => {
    const manifest = manifestSchema.parse({
      permissions: { hosts: ['crm.example.com', '*.chat.example.com'], secrets: ['CRM_TOKEN'] },
      limits: { timeoutMs: 30000, memoryMb: 64, maxFetches: 50 },
      retry: { maxAttempts: 5, backoff: { baseMs: 1000, maxMs: 300000, jitter: true } },
      repair: { enabled: true, maxPerDay: 3, requireApproval: false },
      concurrency: { limit: 1 },
      inputSchema: { type: 'object' },
    });
    expect(manifest.permissions.hosts).toContain('*.chat.example.com');
  });

  it('accepts schedules, a webhook and event subscriptions, filling their defaults', () => {
    const { triggers } = manifestSchema.parse({
      triggers: [
        { type: 'cron', cron: '*/5 * * * *' },
        { type: 'webhook' },
        { type: 'event', name: 'order.created' },
      ],
    });
    expect(triggers).toEqual([
      { type: 'cron', cron: '*/5 * * * *', timezone: 'UTC', catchUp: 'none', overlap: 'skip' },
      { type: 'webhook', headers: [] },
      { type: 'event', name: 'order.created' },
    ]);
  });

  it('names what is wrong with a schedule: its expression or its time zone', () => {
    expect(() =>
      parseOrThrow(
        manifestSchema,
        { triggers: [{ type: 'cron', cron: '61 * * * *' }] },
        { prefix: 'manifest' },
      ),
    ).toThrow(/^manifest\.triggers\.0\.cron: is not a valid cron expression/);
    expect(() =>
      parseOrThrow(
        manifestSchema,
        { triggers: [{ type: 'cron', cron: '* * * *   ' }] },
        { prefix: 'manifest' },
      ),
    ).toThrow(/^manifest\.triggers\.0\.cron: must have 5 fields/);
    expect(() =>
      parseOrThrow(
        manifestSchema,
        { triggers: [{ type: 'cron', cron: '0 9 * * 1-5', timezone: 'Mars/Olympus' }] },
        { prefix: 'manifest' },
      ),
    ).toThrow(/^manifest\.triggers\.0\.timezone: must be an IANA time zone/);
  });

  it('refuses two webhooks, and a queued schedule beside a concurrency limit', () => {
    expect(() =>
      parseOrThrow(
        manifestSchema,
        { triggers: [{ type: 'webhook' }, { type: 'webhook' }] },
        { prefix: 'manifest' },
      ),
    ).toThrow(/^manifest\.triggers: an automation has one webhook URL/);
    expect(() =>
      parseOrThrow(
        manifestSchema,
        { triggers: [{ type: 'cron', cron: '* * * * *', overlap: 'queue' }], concurrency: { limit: 2 } },
        { prefix: 'manifest' },
      ),
    ).toThrow(/^manifest\.triggers\.0\.overlap: overlap "queue"/);
  });

  it('names the field of every problem, unknown fields included', () => {
    expect(() => parseOrThrow(manifestSchema, { limits: { timeoutMs: -1 } }, { prefix: 'manifest' })).toThrow(
      /^manifest\.limits\.timeoutMs: /,
    );
    expect(() =>
      parseOrThrow(manifestSchema, { permissions: { hosts: ['HTTP://x'] } }, { prefix: 'manifest' }),
    ).toThrow(/manifest\.permissions\.hosts\.0/);
    expect(() => parseOrThrow(manifestSchema, { permisions: {} }, { prefix: 'manifest' })).toThrow(
      /unknown field manifest\.permisions/,
    );
  });
});
