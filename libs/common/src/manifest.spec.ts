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

  it('refuses triggers until schedules and webhooks start runs (nothing accepted and ignored)', () => {
    expect(() =>
      parseOrThrow(manifestSchema, { triggers: [{ type: 'webhook' }] }, { prefix: 'manifest' }),
    ).toThrow(/^manifest\.triggers: triggers \(cron schedules, webhooks\) are not built yet/);
    expect(manifestSchema.parse({ triggers: [] }).triggers).toEqual([]);
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
