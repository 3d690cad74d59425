import { describe, expect, it } from 'vitest';
import { defaultManifest } from '@mendflow/common';
import { canonical, sameAsDeployed } from './deploy';

const deployed = (
  source: string,
  manifest: unknown,
  language: 'javascript' | 'typescript' = 'javascript',
) => ({
  deployedVersion: { source, manifest, language },
});

describe('whether a folder differs from the deployed version', () => {
  it('compares manifests with their defaults filled in and key order ignored', () => {
    const stored = defaultManifest();
    expect(sameAsDeployed(deployed('src', stored), { source: 'src', manifest: {} })).toBe(true);
    expect(
      sameAsDeployed(deployed('src', stored), { source: 'src', manifest: { limits: { timeoutMs: 30_000 } } }),
    ).toBe(true);
    expect(
      sameAsDeployed(deployed('src', stored), { source: 'src', manifest: { limits: { timeoutMs: 5_000 } } }),
    ).toBe(false);
    expect(canonical({ b: 1, a: { d: 2, c: 3 } })).toBe(canonical({ a: { c: 3, d: 2 }, b: 1 }));
  });

  it('counts a changed source or language as a change, and an invalid manifest as one too', () => {
    const stored = defaultManifest();
    expect(sameAsDeployed(deployed('src', stored), { source: 'src2', manifest: {} })).toBe(false);
    expect(
      sameAsDeployed(deployed('src', stored), { source: 'src', manifest: {}, language: 'typescript' }),
    ).toBe(false);
    expect(
      sameAsDeployed(deployed('src', stored, 'typescript'), {
        source: 'src',
        manifest: {},
        language: 'typescript',
      }),
    ).toBe(true);
    expect(sameAsDeployed(deployed('src', stored), { source: 'src', manifest: { nope: true } })).toBe(false);
    expect(sameAsDeployed({ deployedVersion: null }, { source: 'src', manifest: {} })).toBe(false);
  });
});
