import type { CronTriggerConfig } from '@mendflow/common';
import type { TriggerRecord } from '@mendflow/db';
import { nextFireTimes } from '@mendflow/triggers';

/** How many upcoming fire times, and how many past scheduled runs, a schedule shows. */
export const SHOWN_FIRE_TIMES = 5;
export const SHOWN_SCHEDULED_RUNS = 5;

export interface ScheduledRunView {
  id: string;
  status: string;
  scheduledAt: string;
  createdAt: string;
}

/** What the view of a trigger needs beyond its row, gathered once for all of an automation's triggers. */
export interface TriggerViewContext {
  now: Date;
  /** The latest scheduled runs per cron trigger id, newest tick first. */
  scheduledRuns: Map<string, ScheduledRunView[]>;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/**
 * Per kind, what its view adds to the common fields: every kind answers every field (an empty list
 * where a field means nothing for it), so clients read one shape. Kinds extend their own entry.
 */
const KIND_FIELDS: Record<
  TriggerRecord['kind'],
  (
    trigger: TriggerRecord,
    context: TriggerViewContext,
  ) => {
    nextFireTimes: string[];
    lastRuns: ScheduledRunView[];
  }
> = {
  cron: (trigger, context) => ({
    nextFireTimes: nextFireTimes(trigger.config as CronTriggerConfig, context.now, SHOWN_FIRE_TIMES).map(
      (date) => date.toISOString(),
    ),
    lastRuns: context.scheduledRuns.get(trigger.id) ?? [],
  }),
  webhook: () => ({ nextFireTimes: [], lastRuns: [] }),
  event: () => ({ nextFireTimes: [], lastRuns: [] }),
};

export function triggerView(trigger: TriggerRecord, context: TriggerViewContext) {
  return {
    id: trigger.id,
    kind: trigger.kind,
    config: trigger.config,
    eventName: trigger.eventName,
    armedAt: trigger.armedAt.toISOString(),
    lastTickAt: iso(trigger.lastTickAt),
    /** cron: what the last tick did (run_created, skipped_overlap, skipped_missed); null before one. */
    lastTickOutcome: trigger.lastTickOutcome,
    lastRunId: trigger.lastRunId,
    ...KIND_FIELDS[trigger.kind](trigger, context),
  };
}
