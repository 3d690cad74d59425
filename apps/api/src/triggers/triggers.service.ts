import { Injectable } from '@nestjs/common';
import { AutomationsRepository, RunsRepository, TriggersRepository } from '@mendflow/db';
import type { Principal } from '../auth/principal';
import { SHOWN_SCHEDULED_RUNS, type ScheduledRunView, triggerView } from './trigger.views';

@Injectable()
export class TriggersService {
  constructor(
    private readonly automations: AutomationsRepository,
    private readonly triggers: TriggersRepository,
    private readonly runs: RunsRepository,
  ) {}

  /** The triggers in force for an automation (none while it is paused), with schedules' times and runs. */
  async list(principal: Principal, automationId: string) {
    const { workspaceId } = principal;
    // 404 for an automation of another workspace, or none.
    await this.automations.get(workspaceId, automationId);
    const triggers = await this.triggers.listForAutomation(workspaceId, automationId);
    const cronIds = triggers.filter((t) => t.kind === 'cron').map((t) => t.id);
    const scheduled = await this.runs.listScheduled(workspaceId, automationId, cronIds, SHOWN_SCHEDULED_RUNS);
    const scheduledRuns = new Map<string, ScheduledRunView[]>();
    for (const run of scheduled) {
      const list = scheduledRuns.get(run.triggerId) ?? [];
      list.push({
        id: run.id,
        status: run.status,
        scheduledAt: run.scheduledAt,
        createdAt: run.createdAt.toISOString(),
      });
      scheduledRuns.set(run.triggerId, list);
    }
    const context = { now: new Date(), scheduledRuns };
    return triggers.map((trigger) => triggerView(trigger, context));
  }
}
