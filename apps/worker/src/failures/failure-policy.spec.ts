import { defaultManifest } from '@mendflow/common';
import type { Classification } from '@mendflow/failure';
import { describe, expect, it } from 'vitest';
import { decideNextStep } from './failure-policy';

const manifest = {
  ...defaultManifest(),
  retry: { maxAttempts: 3, backoff: { baseMs: 1000, maxMs: 60_000, jitter: false } },
};
const classified = (cls: Classification['class'], reason = 'why'): Classification => ({
  class: cls,
  reason,
  evidence: {},
  action: cls === 'transient' ? 'retry' : cls === 'logic' ? 'repair' : 'escalate',
});
const allowed = { allowed: true } as const;

describe('decideNextStep', () => {
  it('retries a transient failure with growing delays until the policy runs out, then escalates', () => {
    const first = decideNextStep({
      classification: classified('transient'),
      attempt: 1,
      manifest,
      repair: allowed,
    });
    const second = decideNextStep({
      classification: classified('transient'),
      attempt: 2,
      manifest,
      repair: allowed,
    });
    expect(first).toEqual({ kind: 'retry', delayMs: expect.any(Number) });
    expect(second).toEqual({ kind: 'retry', delayMs: expect.any(Number) });
    expect((second as { delayMs: number }).delayMs).toBeGreaterThan((first as { delayMs: number }).delayMs);
    const last = decideNextStep({
      classification: classified('transient', 'api answered 503 3 times'),
      attempt: 3,
      manifest,
      repair: allowed,
    });
    expect(last).toMatchObject({
      kind: 'escalate',
      inbox: { kind: 'retries_exhausted', reason: 'api answered 503 3 times' },
    });
  });

  it('repairs a logic failure when allowed, and says why not otherwise', () => {
    expect(
      decideNextStep({ classification: classified('logic'), attempt: 1, manifest, repair: allowed }),
    ).toEqual({ kind: 'repair' });
    const refused = decideNextStep({
      classification: classified('logic', 'TypeError'),
      attempt: 1,
      manifest,
      repair: { allowed: false, reason: 'the daily repair budget (3) is spent' },
    });
    expect(refused).toMatchObject({ kind: 'escalate', inbox: { kind: 'repair_failed' } });
    expect((refused as { inbox: { reason: string } }).inbox.reason).toContain('daily repair budget');
  });

  it('escalates auth, policy and unknown failures at once, with retry and cancel offered', () => {
    for (const [cls, kind] of [
      ['auth', 'auth_required'],
      ['policy', 'policy_violation'],
      ['unknown', 'unknown_failure'],
    ] as const) {
      const step = decideNextStep({ classification: classified(cls), attempt: 1, manifest, repair: allowed });
      expect(step).toMatchObject({ kind: 'escalate', inbox: { kind, actions: ['retry', 'cancel'] } });
    }
  });
});
