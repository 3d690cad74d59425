/** What the sandbox reports of its pool of processes. */
export interface SandboxHealth {
  ok: boolean;
  reason?: string;
  processes: number;
  busy: number;
}

/**
 * What the health server asks of the sandbox (SandboxHost). `health` is optional: a sandbox that
 * cannot report counts as serving, and this compiles against a SandboxHost with or without it.
 */
export interface SandboxHealthSource {
  health?(): SandboxHealth;
}

/** Provided as the SandboxHost itself (useExisting). */
export const SANDBOX_HEALTH = Symbol('mendflow.sandbox-health');

export interface SandboxCheck extends Partial<SandboxHealth> {
  ok: boolean;
}

export function checkSandbox(source: SandboxHealthSource): SandboxCheck {
  let health: SandboxHealth | undefined;
  try {
    health = source.health?.();
  } catch (error) {
    return { ok: false, reason: `the sandbox could not report its health: ${(error as Error).message}` };
  }
  if (!health) return { ok: true };
  return health.ok
    ? { ...health, ok: true }
    : { ...health, reason: `the sandbox pool cannot serve: ${health.reason ?? 'no reason given'}` };
}
