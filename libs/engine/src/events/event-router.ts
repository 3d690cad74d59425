import {
  DomainError,
  InputSchemaChecker,
  NotFoundError,
  RUN_PRIORITY,
  runConcurrency,
} from '@mendflow/common';
import type { EventPolicyCode, RunTriggerContext } from '@mendflow/contracts';
import {
  type AutomationsRepository,
  type EmittedEventRecord,
  type EmittedEventsRepository,
  eventRunIdempotencyKey,
  type SkippedSubscriber,
  type TriggersRepository,
} from '@mendflow/db';
import type { RunEngine } from '../run-engine';
import { decideEmit } from './event-chain';

export interface EventRouterDeps {
  events: EmittedEventsRepository;
  triggers: TriggersRepository;
  automations: AutomationsRepository;
  engine: RunEngine;
  inputs: InputSchemaChecker;
}

/** The run an event comes from: ctx.emit in one of its attempts. */
export interface EmitSource {
  runId: string;
  automationId: string;
  /** The emitting run's own origin; an event-started run carries the chain it is part of. */
  triggerContext: RunTriggerContext | null;
  /** The emit's memo key within the run ("<ordinal>:<name>"), see EmittedEventsRepository. */
  key: string;
}

/** An event as routing left it: the runs it started (one per subscriber at most) and who got none. */
export interface RoutedEvent {
  event: EmittedEventRecord;
  runs: { id: string; automationId: string }[];
  skipped: SkippedSubscriber[];
}

export type EmitOutcome =
  | ({ ok: true; memoized: boolean } & RoutedEvent)
  | { ok: false; code: EventPolicyCode; message: string; automations: string[] };

/**
 * Events in, runs out. An event is stored first and routed after: each automation whose deployed
 * version has `triggers: [{ type: 'event', name }]` gets one run with the payload as its input
 * (trigger `event`). The run's idempotency key names the event, so routing an event again (the
 * reconciler after a crash, a retried emit) never creates a second run. Chain depth and cycles are
 * decided at emit time (decideEmit), so a refusal is the emitter's error and nothing is stored.
 */
export class EventRouter {
  constructor(private readonly deps: EventRouterDeps) {}

  async emit(
    workspaceId: string,
    request: { name: string; payload: unknown; source?: EmitSource },
  ): Promise<EmitOutcome> {
    const { name, source } = request;
    const payload = request.payload ?? null;
    if (source) {
      const earlier = await this.deps.events.findBySource(workspaceId, source.runId, source.key);
      if (earlier) return { ok: true, memoized: true, ...(await this.routed(workspaceId, earlier)) };
    }
    const chainSource = source && {
      automationId: source.automationId,
      chain: source.triggerContext?.kind === 'event' ? source.triggerContext.chain : [],
      depth: source.triggerContext?.kind === 'event' ? source.triggerContext.depth : 0,
    };
    const subscribers = source ? await this.subscribers(workspaceId, name) : [];
    let verdict = decideEmit({ name, source: chainSource, subscribers });
    if (!verdict.ok) {
      // Decided again with names, only for the message.
      const ids = [...(chainSource?.chain ?? []), ...(chainSource ? [chainSource.automationId] : [])];
      const names = await this.deps.events.automationNames(workspaceId, ids);
      verdict = decideEmit({ name, source: chainSource, subscribers, names });
      if (!verdict.ok) return verdict;
    }
    const { event, created } = await this.deps.events.insert(workspaceId, {
      name,
      payload,
      chain: verdict.chain,
      depth: verdict.depth,
      ...(source && {
        source: { runId: source.runId, automationId: source.automationId, key: source.key },
      }),
    });
    // Another attempt of the same run stored this emit meanwhile: its event, not a second one.
    if (!created) return { ok: true, memoized: true, ...(await this.routed(workspaceId, event)) };
    return { ok: true, memoized: false, ...(await this.route(workspaceId, event)) };
  }

  /**
   * Creates the subscribers' runs (those that exist already are found by their idempotency key) and
   * marks the event routed. Safe to repeat.
   */
  async route(workspaceId: string, event: EmittedEventRecord): Promise<RoutedEvent> {
    const runs: RoutedEvent['runs'] = [];
    const skipped: SkippedSubscriber[] = [];
    const inChain = new Set([
      ...event.chain,
      ...(event.sourceAutomationId ? [event.sourceAutomationId] : []),
    ]);
    for (const automationId of await this.subscribers(workspaceId, event.name)) {
      // A subscriber deployed between the emit's check and now could close a loop: never start it.
      if (inChain.has(automationId)) {
        skipped.push({
          automationId,
          code: 'EVENT_CYCLE',
          reason: 'the automation is already in this event chain',
        });
        continue;
      }
      const outcome = await this.start(workspaceId, automationId, event);
      if ('run' in outcome) runs.push(outcome.run);
      else skipped.push(outcome.skipped);
    }
    await this.deps.events.markRouted(workspaceId, event.id, skipped);
    return { event: { ...event, skipped, routedAt: event.routedAt ?? new Date() }, runs, skipped };
  }

  /** Routes events left unrouted (a crash between storing and routing); returns how many. */
  async routePending(olderThan: Date, limit = 100): Promise<number> {
    const pending = await this.deps.events.listUnrouted(olderThan, limit);
    for (const { id, workspaceId } of pending) {
      const event = await this.deps.events.get(workspaceId, id);
      if (event && !event.routedAt) await this.route(workspaceId, event);
    }
    return pending.length;
  }

  /** An event stored earlier: routed now if it never was, else what its routing left. */
  private async routed(workspaceId: string, event: EmittedEventRecord): Promise<RoutedEvent> {
    if (!event.routedAt) return this.route(workspaceId, event);
    return { event, runs: await this.deps.events.runsOf(workspaceId, event.id), skipped: event.skipped };
  }

  private async subscribers(workspaceId: string, name: string): Promise<string[]> {
    const triggers = await this.deps.triggers.listForEvent(workspaceId, name);
    return [...new Set(triggers.map((t) => t.automationId))];
  }

  private async start(
    workspaceId: string,
    automationId: string,
    event: EmittedEventRecord,
  ): Promise<{ run: { id: string; automationId: string } } | { skipped: SkippedSubscriber }> {
    const skip = (code: string, reason: string) => ({ skipped: { automationId, code, reason } });
    let automation;
    try {
      automation = await this.deps.automations.get(workspaceId, automationId);
    } catch (error) {
      // Deleted since its trigger row was read (deleting removes the row in the same transaction).
      if (error instanceof NotFoundError) return skip('AUTOMATION_NOT_FOUND', 'the automation was deleted');
      throw error;
    }
    const version = automation.deployedVersion;
    if (automation.status === 'paused' || !version)
      return skip('AUTOMATION_PAUSED', 'the automation is paused');
    const payload = event.payload ?? null;
    let issues;
    try {
      issues = this.deps.inputs.issues(version.manifest.inputSchema, payload);
    } catch (error) {
      if (error instanceof DomainError) return skip(error.code, error.message);
      throw error;
    }
    if (issues.length > 0) {
      const first = issues[0]!;
      const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
      return skip(
        'RUN_INPUT_INVALID',
        `its inputSchema refuses the payload: ${first.path}: ${first.message}${more}`,
      );
    }
    const { run } = await this.deps.engine.queue(workspaceId, {
      automationId,
      versionId: version.id,
      trigger: 'event',
      input: payload,
      idempotencyKey: eventRunIdempotencyKey(event.id),
      priority: RUN_PRIORITY.default,
      concurrency: runConcurrency(version.manifest.concurrency, payload),
      triggerContext: {
        kind: 'event',
        eventId: event.id,
        name: event.name,
        sourceRunId: event.sourceRunId,
        chain: event.chain,
        depth: event.depth,
      },
    });
    return { run: { id: run.id, automationId } };
  }
}
