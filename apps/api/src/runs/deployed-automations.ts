import { Injectable } from '@nestjs/common';
import { type AutomationRecord, AutomationsRepository } from '@mendflow/db';
import { LRUCache } from 'lru-cache';

/** Automations kept per API process; one entry is an automation with its deployed manifest. */
const MAX_CACHED = 10_000;
/** An automation nobody started a run of for this long is dropped (memory, not correctness). */
const IDLE_MS = 10 * 60_000;

/**
 * What starting a run reads of its automation (status, deployed version, manifest), cached per API
 * process so that a POST costs no read before its insert. A cached entry is never trusted to decide:
 * the run insert itself checks that the version is still the deployed one of an active automation
 * (RunsRepository.createQueued's `onlyIfDeployed`), and a refusal based on a cached entry (paused, no
 * version, input the schema rejects) is made again on a fresh read. So a deploy, rollback, pause or
 * delete anywhere (another replica, the worker's repair loop) needs no message to take effect at once.
 */
@Injectable()
export class DeployedAutomations {
  private readonly cache = new LRUCache<string, AutomationRecord>({
    max: MAX_CACHED,
    ttl: IDLE_MS,
    updateAgeOnGet: true,
  });

  constructor(private readonly automations: AutomationsRepository) {}

  /** The automation as last read (`cached: true`), or read now when this process has not seen it. */
  async get(
    workspaceId: string,
    automationId: string,
  ): Promise<{ automation: AutomationRecord; cached: boolean }> {
    const hit = this.cache.get(cacheKey(workspaceId, automationId));
    if (hit) return { automation: hit, cached: true };
    return { automation: await this.read(workspaceId, automationId), cached: false };
  }

  /** Reads the automation again (its cached entry turned out stale) and keeps what it read. */
  async read(workspaceId: string, automationId: string): Promise<AutomationRecord> {
    const key = cacheKey(workspaceId, automationId);
    try {
      const automation = await this.automations.get(workspaceId, automationId);
      this.cache.set(key, automation);
      return automation;
    } catch (error) {
      this.cache.delete(key); // not found: deleted, or never in this workspace
      throw error;
    }
  }
}

const cacheKey = (workspaceId: string, automationId: string) => `${workspaceId}/${automationId}`;
