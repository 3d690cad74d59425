import type { SandboxHealth } from '@mendflow/sandbox';

/** What the health server asks of the sandbox (SandboxHost). */
export interface SandboxHealthSource {
  health(): SandboxHealth;
}

/** Provided as the SandboxHost itself (useExisting). */
export const SANDBOX_HEALTH = Symbol('mendflow.sandbox-health');

export interface SandboxCheck extends Partial<SandboxHealth> {
  ok: boolean;
}

export function checkSandbox(source: SandboxHealthSource): SandboxCheck {
  let health: SandboxHealth;
  try {
    health = source.health();
  } catch (error) {
    return { ok: false, reason: `the sandbox could not report its health: ${(error as Error).message}` };
  }
  return health.ok
    ? { ...health, ok: true }
    : { ...health, reason: `the sandbox pool cannot serve: ${health.reason ?? 'no reason given'}` };
}
