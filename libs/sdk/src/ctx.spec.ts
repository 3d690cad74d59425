import { defaultManifest } from '@mendflow/common';
import { createMemoryHost, Sandbox } from '@mendflow/sandbox';
import type * as waits from '@mendflow/contracts/waits';
import type { RunIdentity } from '@mendflow/sandbox';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { CTX_SHAPE, type ApprovalAnswer, type ApprovalCaps, type RunInfo } from './ctx';

const sandbox = new Sandbox({ poolSize: 1 });
afterAll(() => sandbox.close());

// Walks the real ctx inside the isolate: functions, plain values (ctx.run), and objects of members.
const DESCRIBE_CTX = `
function shape(value, depth) {
  if (typeof value === 'function') return 'function';
  if (depth > 0 || value === null || typeof value !== 'object') return 'value';
  const out = {};
  for (const key of Object.keys(value)) out[key] = shape(value[key], depth + 1);
  return out;
}
export default async function run(input, ctx) {
  const out = {};
  for (const key of Object.keys(ctx)) out[key] = key === 'run' ? 'value' : shape(ctx[key], 0);
  return out;
}
`;

describe('the ctx types', () => {
  it('name every capability the sandbox gives a script, and nothing it does not', async () => {
    const result = await sandbox.runAttempt({
      source: DESCRIBE_CTX,
      input: {},
      run: { id: 'run-1', attempt: 1, automationId: 'auto-1', version: 1, trigger: 'manual' },
      manifest: defaultManifest(),
      host: createMemoryHost(),
    });
    expect(result.status).toBe('succeeded');
    expect(result.output).toEqual(CTX_SHAPE);
  });
});

// ctx.ts is copied into a user's folder by `mendflow init` (mendflow-ctx.d.ts), so it cannot import the
// types it restates; these checks fail the typecheck when the sandbox's own types drift from them.
describe('ctx types restate the sandbox and contracts types', () => {
  it('matches them field for field', () => {
    expectTypeOf<RunInfo>().toEqualTypeOf<RunIdentity>();
    expectTypeOf<ApprovalCaps>().toEqualTypeOf<waits.ApprovalCaps>();
    expectTypeOf<ApprovalAnswer>().toEqualTypeOf<waits.ApprovalAnswer>();
  });
});
