import { Inject, Injectable } from '@nestjs/common';
import type { Manifest } from '@mendflow/common';
import { RepairsRepository } from '@mendflow/db';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-config';

export type RepairAllowance = { allowed: true } | { allowed: false; reason: string };

/**
 * Whether a logic failure may be handed to the repair provider now. Repairs cost money and can loop,
 * so each is bounded: the manifest's repair.maxPerDay per automation, a cooldown after a failed
 * repair, and a token budget per workspace. Over any of them the run escalates instead.
 */
@Injectable()
export class RepairBudget {
  constructor(
    private readonly repairs: RepairsRepository,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {}

  get providerName(): string {
    return this.config.REPAIR_PROVIDER;
  }

  /** What a provider call cost in USD at the configured prices, or null when none are configured. */
  costOf(usage: { promptTokens: number; completionTokens: number }): number | null {
    const { REPAIR_PRICE_INPUT_PER_MTOK: input, REPAIR_PRICE_OUTPUT_PER_MTOK: output } = this.config;
    if (input === undefined && output === undefined) return null;
    return ((input ?? 0) * usage.promptTokens + (output ?? 0) * usage.completionTokens) / 1_000_000;
  }

  async check(workspaceId: string, automationId: string, manifest: Manifest): Promise<RepairAllowance> {
    if (this.config.REPAIR_PROVIDER === 'none')
      return { allowed: false, reason: 'no repair provider is configured (REPAIR_PROVIDER=none)' };
    if (manifest.repair.enabled === false)
      return { allowed: false, reason: 'repair is turned off in the manifest' };
    const today = await this.repairs.countLastDay(workspaceId, automationId);
    if (today >= manifest.repair.maxPerDay) {
      return { allowed: false, reason: `the repair budget of ${manifest.repair.maxPerDay} per day is spent` };
    }
    const lastFailed = await this.repairs.lastFailedAt(workspaceId, automationId);
    if (lastFailed && Date.now() - lastFailed.getTime() < this.config.REPAIR_COOLDOWN_MS) {
      const minutes = Math.ceil(
        (this.config.REPAIR_COOLDOWN_MS - (Date.now() - lastFailed.getTime())) / 60_000,
      );
      return { allowed: false, reason: `a repair failed recently; the next may start in ${minutes} min` };
    }
    const tokens = await this.repairs.tokensLastDay(workspaceId);
    if (tokens >= this.config.REPAIR_TOKEN_BUDGET_PER_DAY) {
      return {
        allowed: false,
        reason: `the workspace spent its repair token budget (${this.config.REPAIR_TOKEN_BUDGET_PER_DAY} per day)`,
      };
    }
    return { allowed: true };
  }
}
