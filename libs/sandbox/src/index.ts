export * from './types';
export { Sandbox, type SandboxOptions } from './sandbox';
export {
  DEFAULT_MAXIMA,
  MAX_WAIT_MS,
  resolveLimits,
  type EffectiveLimits,
  type SandboxMaxima,
} from './limits';
export { REPLAY_SECRET_PLACEHOLDER } from './host-ops';
export { REDACTED } from './redaction';
/** The file name scripts run under: run error locations read `script.js:line:column` of the source as written. */
export { SCRIPT_FILENAME } from './bootstrap';
export { AddressPolicy, type AddressPolicyOptions, type AddressVerdict } from './fetch/address-policy';
export { compileHostPatterns, type HostMatcher } from '@mendflow/common/host-patterns';
export type { LookupAddress, LookupFn } from './fetch/http-fetch';
export { createMemoryHost, type MemoryHost } from './memory-host';
export { ProcessSandbox, type ProcessSandboxOptions, type SandboxHealth } from './process/process-sandbox';
export type { Death as SandboxProcessDeath } from './process/sandbox-process';
