import type { ScriptLanguage } from '@mendflow/common';

/** What a repair provider is given: everything needed to understand the failure, nothing secret. */
export interface RepairRequest {
  automation: { id: string; name: string };
  version: number;
  /** The language of `source`; the fixed source must be in the same one. */
  language: ScriptLanguage;
  source: string;
  manifest: unknown;
  error: { name: string; message: string; location?: string; stack?: string; sourceLine?: string };
  classification: { class: string; reason: string };
  input: unknown;
  /** The failing attempt's host calls (requests, statuses, bodies truncated), secrets never included. */
  hostCalls: unknown[];
  /** Outputs of recent good runs that the fix must keep producing. */
  recentSuccesses: { input: unknown; output: unknown }[];
}

export interface RepairProposal {
  source: string;
  explanation: string;
  model?: string;
  prompt?: unknown;
  answer?: string;
  promptTokens: number;
  completionTokens: number;
}

export interface RepairProvider {
  readonly name: string;
  propose(request: RepairRequest, signal: AbortSignal): Promise<RepairProposal>;
}

export const REPAIR_PROVIDER = Symbol('mendflow.repair-provider');

/** A provider's answer that cannot be used; the repair fails with this message and the run escalates. */
export class RepairProviderError extends Error {
  override readonly name = 'RepairProviderError';
}
