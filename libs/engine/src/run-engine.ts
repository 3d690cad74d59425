import { randomUUID } from 'node:crypto';
import {
  type ApprovalAnswer,
  type ApprovalCaps,
  RUN_COMMANDS,
  type RunCommand,
  type RunError,
  type RunEventDraft,
  runEvent,
  type RunEventData,
  type SleepAnswer,
  type WaitAnswer,
  type WaitRequest,
} from '@mendflow/contracts';
import {
  type AttemptOutcome,
  type BeginAttemptResult,
  type InboxDraft,
  isBlocked,
  type RunSlotsRepository,
  type SlotLine,
  slotLineOf,
  type InboxRepository,
  type RunExecutionRepository,
  type RunRecord,
  type RunsRepository,
  type StartedAttempt,
  type Transition,
  type TransitionResult,
} from '@mendflow/db';
import type { LiveEventsPublisher } from '@mendflow/events';
import type { JobQueues } from '@mendflow/queue';
import { ATTR, inSpan, runAttributes } from '@mendflow/telemetry';
import type { FailureClass, NotificationTopic } from '@mendflow/contracts';

/** What the engine needs around it; the API and the worker each wire their own. */
export interface RunEngineDeps {
  runs: RunsRepository;
  execution: RunExecutionRepository;
  inbox: InboxRepository;
  slots: RunSlotsRepository;
  live: LiveEventsPublisher;
  jobs: JobQueues;
  /** Tells the worker running an attempt to stop it now (Redis pub/sub); best effort. */
  stopAttempt(runId: string): Promise<void>;
  /** Where the engine reports work it could not hand on (an enqueue Redis refused). */
  warn(message: string): void;
}

/**
 * A run to record: what RunsRepository.createQueued takes, with the priority (RUN_PRIORITY.min..max) and
 * the concurrency line (runConcurrency in @mendflow/common, null without a limit) always decided.
 */
export type NewRun = Parameters<RunsRepository['createQueued']>[1] &
  Required<Pick<Parameters<RunsRepository['createQueued']>[1], 'priority' | 'concurrency'>>;

/** A state change's extras, beyond its status and event (see @mendflow/db's Transition). */
type Extras = Omit<Transition, 'from' | 'to' | 'event'>;

/**
 * The run and attempt a worker's command is about. With the run's concurrency limit when the caller
 * has it (a StartedAttempt does): a run known to have none skips freeing a slot.
 */
export type AttemptRef = Pick<StartedAttempt, 'workspaceId' | 'runId' | 'automationId' | 'attempt'> &
  Partial<Pick<StartedAttempt, 'concurrencyLimit'>>;

export interface Actor {
  /** A person's user id; null for the system. */
  by: string | null;
  reason: string;
}

/**
 * The run lifecycle's one owner. Every command checks its move against the lifecycle table
 * (@mendflow/contracts RUN_COMMANDS), builds its event from the catalog, applies the change in one
 * conditional statement (so a late or repeated message cannot move a run backwards: the command
 * returns null and changes nothing), publishes exactly the stored event, and hands on the work that
 * follows (the next attempt's job, a repair, a wake-up, a notification). Work is enqueued only after the state is
 * stored: a crash in between leaves a state the reconciler picks up, never a lost run.
 */
export class RunEngine {
  constructor(private readonly deps: RunEngineDeps) {}

  // ---- creation and start ----

  /** Records a queued run with its first event and enqueues its first attempt. */
  async queue(workspaceId: string, input: NewRun): Promise<{ run: RunRecord; created: boolean }> {
    return inSpan(
      'run.create',
      { attributes: runAttributes({ workspaceId, automationId: input.automationId }) },
      async (span) => {
        const result = await this.createAndEnqueue(workspaceId, input);
        span.setAttribute(ATTR.runId, result.run.id);
        span.setAttribute('mendflow.run.created', result.created);
        return result;
      },
    );
  }

  private async createAndEnqueue(
    workspaceId: string,
    input: NewRun,
  ): Promise<{ run: RunRecord; created: boolean }> {
    const result = await this.deps.runs.createQueued(workspaceId, input);
    if (result.created) {
      const { run } = result;
      // createQueued appended the run's first event (seq 1) in the same statement.
      this.deps.live.publishTransition({
        runId: run.id,
        workspaceId,
        automationId: run.automationId,
        status: 'queued',
        inboxItemId: null,
        event: { seq: 1, type: 'run.queued', data: { trigger: run.trigger }, createdAt: run.createdAt },
      });
      const line = input.concurrency
        ? { workspaceId, automationId: run.automationId, key: input.concurrency.key }
        : null;
      // A limited run gets its job when it heads its line (it may be the head right away).
      if (line) await this.refill(line);
      else {
        // Its job id is new: no finished job can hold it.
        await this.enqueueAttempt(
          {
            runId: run.id,
            workspaceId,
            automationId: run.automationId,
            attemptCount: 0,
            priority: input.priority,
          },
          0,
          { newId: true },
        );
      }
    }
    return result;
  }

  /**
   * Opens the run's next attempt (queued, retry_scheduled, or running with a lost worker); returns its
   * place in line when its concurrency limit keeps it waiting (`{ blocked }`: the job ends without
   * running anything, and the caller refills the line once the job is over), or null when the run is
   * not startable any more (finished, cancelled: the job is moot).
   */
  async begin(workspaceId: string, runId: string): Promise<BeginAttemptResult> {
    const started = await this.deps.execution.beginAttempt(workspaceId, runId);
    if (!started || isBlocked(started)) return started;
    const { automationId } = started;
    for (const event of started.events) this.deps.live.publishRunEvent({ ...event, automationId });
    this.deps.live.publishRunStatus({ runId, workspaceId, automationId, status: 'running' });
    return started;
  }

  // ---- how an attempt ends (worker) ----

  succeed(ref: AttemptRef, outcome: AttemptOutcome, cost: Cost): Promise<TransitionResult | null> {
    return this.apply('succeed', ref, runEvent('run.succeeded', { attempt: ref.attempt, ...cost }), {
      attempt: { number: ref.attempt, outcome },
      output: outcome.output,
      error: null,
    });
  }

  async scheduleRetry(
    ref: AttemptRef,
    failed: FailedAttempt,
    delayMs: number,
  ): Promise<TransitionResult | null> {
    const nextAttemptAt = new Date(Date.now() + delayMs);
    const transition = await this.apply(
      'scheduleRetry',
      ref,
      runEvent('run.retry_scheduled', {
        ...failed.facts,
        delayMs: Math.round(delayMs),
        nextAttemptAt: nextAttemptAt.toISOString(),
      }),
      { attempt: failed.closing, error: failed.error, nextAttemptAt },
    );
    if (transition) await this.enqueueNext(transition, delayMs);
    return transition;
  }

  /**
   * An exploration attempt failed (MCP `execute`, docs/mcp.md): the run ends failed at once, keeping its
   * classification for the agent; it is never retried, repaired or escalated to the inbox.
   */
  fail(ref: AttemptRef, failed: FailedAttempt): Promise<TransitionResult | null> {
    return this.apply(
      'fail',
      ref,
      runEvent('run.failed', {
        ...failed.facts,
        by: null,
        reason: `exploration run: ${failed.facts.classification.class} failure, not retried or repaired`,
      }),
      { attempt: failed.closing, error: failed.error },
    );
  }

  /** Hands a logic failure to the repair loop (the repair row exists; its job follows the change). */
  async startRepair(
    ref: AttemptRef,
    failed: FailedAttempt,
    repair: { id: string; provider: string },
  ): Promise<TransitionResult | null> {
    const transition = await this.apply(
      'startRepair',
      ref,
      runEvent('run.repairing', { ...failed.facts, repairId: repair.id, provider: repair.provider }),
      { attempt: failed.closing, error: failed.error },
    );
    if (transition)
      await this.deps.jobs.enqueue('repair.propose', { repairId: repair.id, workspaceId: ref.workspaceId });
    return transition;
  }

  /**
   * Pauses the run for a person, with the inbox item that says why, opened in the same statement: after
   * a failed attempt (`failed`), after attempts no worker finished (`abandoned`), or from the repair
   * loop (`from: 'repairing'`).
   */
  escalate(
    ref: Omit<AttemptRef, 'attempt'> & { attempt?: number },
    inbox: InboxDraft,
    data: Omit<RunEventData<'run.action_needed'>, 'inboxKind' | 'title'>,
    options: {
      failed?: FailedAttempt;
      abandoned?: { attempt: number; error: RunError; runError: RunError };
      from?: 'running' | 'repairing';
    } = {},
  ): Promise<TransitionResult | null> {
    const { failed, abandoned } = options;
    const closing: Extras = failed
      ? { attempt: failed.closing, error: failed.error }
      : abandoned
        ? { attempt: { number: abandoned.attempt, abandoned: abandoned.error }, error: abandoned.runError }
        : {};
    return this.apply(
      'escalate',
      ref,
      runEvent('run.action_needed', { ...failed?.facts, ...data, inboxKind: inbox.kind, title: inbox.title }),
      { inbox, ...closing },
      [options.from ?? 'running'],
    );
  }

  /**
   * No worker finished the attempt (this worker is shutting down, or its lease was lost): the attempt
   * is closed as abandoned and the run queued to start again.
   */
  async requeue(ref: AttemptRef, abandoned: RunError, reason: string): Promise<TransitionResult | null> {
    const transition = await this.apply(
      'requeue',
      ref,
      runEvent('attempt.abandoned', { attempt: ref.attempt, reason }),
      { attempt: { number: ref.attempt, abandoned } },
    );
    if (transition) await this.enqueueNext(transition);
    return transition;
  }

  // ---- waits: approvals and durable sleep ----

  /**
   * The script asked to wait: the attempt closes as `waiting` (holding no worker slot), the run rests
   * until `until`, an approval request opens its inbox item in the same statement, and a timer job is
   * set to end the wait on time (a sleep's end, an approval's expiry). The reconciler re-sets a timer
   * that Redis lost.
   */
  async wait(
    ref: AttemptRef & { createdBy: { kind: string; id: string } | null },
    outcome: AttemptOutcome,
    wait: WaitRequest,
  ): Promise<TransitionResult | null> {
    const until = new Date(wait.kind === 'sleep' ? wait.until : Date.now() + wait.timeoutMs);
    // The item's id is chosen here so that the run.waiting event can point at it (the timeline links it).
    const inboxItemId = wait.kind === 'approval' ? randomUUID() : undefined;
    const inbox: InboxDraft | undefined =
      wait.kind === 'approval'
        ? {
            id: inboxItemId,
            kind: 'approval',
            title: wait.title,
            reason: wait.details ?? 'the script asks for approval before it continues',
            evidence: {
              title: wait.title,
              ...(wait.details !== undefined && { details: wait.details }),
              ...(wait.caps && { caps: wait.caps }),
              expiresAt: until.toISOString(),
              attempt: ref.attempt,
              startedBy: ref.createdBy,
            },
            actions: ['approve', 'reject'],
            expiresAt: until,
          }
        : undefined;
    const transition = await this.apply(
      'wait',
      ref,
      runEvent('run.waiting', {
        attempt: ref.attempt,
        kind: wait.kind,
        until: until.toISOString(),
        ...(wait.kind === 'approval' && {
          title: wait.title,
          inboxItemId,
          ...(wait.caps && { caps: wait.caps }),
        }),
      }),
      { attempt: { number: ref.attempt, outcome, wait }, nextAttemptAt: until, ...(inbox && { inbox }) },
    );
    if (transition) await this.setTimer(ref, ref.attempt, until);
    return transition;
  }

  /**
   * A person answered the run's approval request (the API checked who may). The item is claimed first,
   * conditionally, so an answer and the expiry (or two people) cannot both act; then the run resumes.
   * Returns why nothing happened when it did not.
   */
  async answerApproval(
    ref: Omit<AttemptRef, 'attempt'>,
    item: { id: string; attempt: number },
    answer: { approved: boolean; by: string; comment?: string; caps?: ApprovalCaps },
  ): Promise<{ transition: TransitionResult | null; claimed: boolean }> {
    const claimed = await this.deps.inbox.resolve(ref.workspaceId, item.id, {
      action: answer.approved ? 'approve' : 'reject',
      by: answer.by,
      ...(answer.comment !== undefined && { comment: answer.comment }),
    });
    if (!claimed) return { transition: null, claimed: false };
    await this.note(ref, {
      type: 'inbox.resolved',
      data: {
        inboxItemId: item.id,
        kind: 'approval',
        action: answer.approved ? 'approve' : 'reject',
        by: answer.by,
        ...(answer.comment !== undefined && { comment: answer.comment }),
      },
    });
    const stored: ApprovalAnswer = {
      approved: answer.approved,
      by: answer.by,
      ...(answer.comment !== undefined && { comment: answer.comment }),
      ...(answer.caps && { caps: answer.caps }),
    };
    const transition = await this.resume(ref, item.attempt, stored, {
      kind: 'approval',
      approved: answer.approved,
      by: answer.by,
      ...(answer.comment !== undefined && { comment: answer.comment }),
    });
    return { transition, claimed: true };
  }

  /**
   * A wait's timer fired: a sleep ends; an approval request nobody answered expires (the item closes as
   * expired and the script gets `{ approved: false, expired: true }`). A timer for a wait that already
   * ended changes nothing (null). A timer that fired before the deadline PostgreSQL holds changes
   * nothing either and says when to fire again (`{ notBefore }`): the caller's job is the timer, so it
   * is the one to put back.
   */
  async wake(
    ref: { workspaceId: string; runId: string },
    attempt: number,
  ): Promise<TransitionResult | { notBefore: Date } | null> {
    const run = await this.deps.runs.get(ref.workspaceId, ref.runId);
    if (run.status !== 'waiting' || run.attemptCount !== attempt) return null;
    const waiting = await this.deps.execution.loadWait(ref.workspaceId, ref.runId, attempt);
    const wait = waiting?.wait as WaitRequest | null | undefined;
    if (!wait || waiting?.status !== 'waiting') return null;
    const target = { ...ref, automationId: run.automationId };
    if (run.nextAttemptAt && run.nextAttemptAt.getTime() > Date.now()) {
      return { notBefore: run.nextAttemptAt };
    }
    if (wait.kind === 'sleep') {
      return this.resume(target, attempt, { slept: true } satisfies SleepAnswer, { kind: 'sleep' });
    }
    if (!(await this.deps.inbox.expireApproval(ref.workspaceId, ref.runId))) return null;
    return this.resume(target, attempt, { approved: false, expired: true } satisfies ApprovalAnswer, {
      kind: 'approval',
      approved: false,
      expired: true,
    });
  }

  /** The wait of `attempt` ended with `answer`: stored for the next attempt, which is queued. */
  protected async resume(
    ref: Omit<AttemptRef, 'attempt'>,
    attempt: number,
    answer: WaitAnswer,
    data: RunEventData<'run.resumed'>,
  ): Promise<TransitionResult | null> {
    const transition = await this.apply('resume', ref, runEvent('run.resumed', data), {
      answerWait: { attempt, answer },
      nextAttemptAt: null,
    });
    if (transition) await this.enqueueNext(transition);
    return transition;
  }

  private async setTimer(
    ref: { workspaceId: string; runId: string },
    attempt: number,
    at: Date,
  ): Promise<void> {
    try {
      await this.deps.jobs.enqueue(
        'run.wake',
        { runId: ref.runId, workspaceId: ref.workspaceId, attempt },
        { delayMs: Math.max(0, at.getTime() - Date.now()) },
      );
    } catch (error) {
      this.deps.warn(
        `run ${ref.runId}: the wake-up timer could not be set (${(error as Error).message}); the reconciler wakes it`,
      );
    }
  }

  // ---- the repair loop ----

  /** A validated repair was deployed as `version`: the run resumes on it. */
  async resumeAfterRepair(
    ref: Omit<AttemptRef, 'attempt'>,
    repair: { id: string },
    version: { id: string; number: number },
    options: { from: 'repairing' | 'action_needed'; approvedBy?: string },
  ): Promise<TransitionResult | null> {
    const transition = await this.apply(
      'resumeAfterRepair',
      ref,
      runEvent('repair.deployed', {
        repairId: repair.id,
        version: version.number,
        ...(options.approvedBy && { approvedBy: options.approvedBy }),
        resumes: true,
      }),
      { versionId: version.id },
      [options.from],
    );
    // Deployed whether or not the run could still resume on it (a cancel may have come first).
    await this.notify(ref.workspaceId, 'repair.deployed', repair.id);
    if (transition) await this.enqueueNext(transition);
    return transition;
  }

  // ---- a person steering a run (API) ----

  async cancel(
    ref: Omit<AttemptRef, 'attempt' | 'automationId'>,
    actor: Actor,
  ): Promise<TransitionResult | null> {
    const transition = await this.apply(
      'cancel',
      ref,
      runEvent('run.cancelled', { by: actor.by, reason: actor.reason }),
      // A running attempt keeps its concurrency slot until it has really stopped (attemptClosed), so
      // the next run of its line cannot start while it is still aborting.
      { nextAttemptAt: null, holdsSlot: false },
    );
    if (!transition) return null;
    // The worker running it (if any) aborts the attempt at once; queued jobs find it cancelled and skip.
    await this.deps.stopAttempt(ref.runId).catch((error: unknown) => {
      this.deps.warn(`run ${ref.runId}: the stop signal could not be sent: ${(error as Error).message}`);
    });
    await this.deps.inbox.resolveOpenForRun(ref.workspaceId, ref.runId, {
      action: 'cancel',
      by: actor.by ?? 'system',
    });
    return transition;
  }

  /** Queues a new attempt of a finished or stuck run, on `version` (the automation's deployed one). */
  async retry(
    ref: Omit<AttemptRef, 'attempt' | 'automationId'>,
    actor: Actor,
    version: { id: string; number: number },
  ): Promise<TransitionResult | null> {
    const transition = await this.apply(
      'retry',
      ref,
      runEvent('run.queued', { by: actor.by, reason: actor.reason, version: version.number }),
      { versionId: version.id, nextAttemptAt: null },
    );
    if (!transition) return null;
    await this.deps.inbox.resolveOpenForRun(ref.workspaceId, ref.runId, {
      action: 'retry',
      by: actor.by ?? 'system',
    });
    await this.enqueueNext(transition);
    return transition;
  }

  /** A person rejected what the run needed (a repair, a retry): it ends failed. */
  reject(ref: Omit<AttemptRef, 'attempt' | 'automationId'>, actor: Actor): Promise<TransitionResult | null> {
    return this.apply('reject', ref, runEvent('run.failed', { by: actor.by, reason: actor.reason }), {});
  }

  /**
   * An attempt closed after its run had moved on (a cancel while it ran): the slot it kept is freed now,
   * and the line refilled.
   */
  async attemptClosed(ref: Pick<StartedAttempt, 'runId' | 'concurrencyLimit'>): Promise<void> {
    if (ref.concurrencyLimit === null) return;
    const line = await this.deps.slots.releaseIfNotRunning(ref.runId);
    if (line) await this.refill(line);
  }

  /** Appends an event that changes no status (repair progress, an inbox resolution) and publishes it. */
  async note(ref: Omit<AttemptRef, 'attempt'>, event: RunEventDraft): Promise<void> {
    runEvent(event.type, event.data as never);
    const stored = await this.deps.execution.appendEvent(
      ref.workspaceId,
      ref.runId,
      event.type,
      event.data as Record<string, unknown>,
    );
    if (stored) this.deps.live.publishRunEvent({ ...stored, automationId: ref.automationId });
  }

  // ---- internals ----

  /**
   * Applies one command. `from` may narrow the table's statuses (a repair deployed automatically moves
   * only from repairing), never widen them.
   */
  protected async apply(
    command: RunCommand,
    ref: { workspaceId: string; runId: string; concurrencyLimit?: number | null },
    event: RunEventDraft,
    extras: Extras,
    from?: readonly string[],
  ): Promise<TransitionResult | null> {
    const spec = RUN_COMMANDS[command];
    if (event.type !== spec.event) {
      throw new Error(`command ${command} appends ${spec.event}, not ${event.type}`);
    }
    const allowed = spec.from as readonly string[];
    if (from && !from.every((status) => allowed.includes(status))) {
      throw new Error(`command ${command} cannot move a run from ${from.join(', ')}`);
    }
    const transition = await this.deps.execution.transition(ref.workspaceId, ref.runId, {
      ...extras,
      ...(ref.concurrencyLimit === null && { holdsSlot: false }),
      from: (from ?? allowed) as Transition['from'],
      to: spec.to,
      event: { type: event.type, data: event.data as Record<string, unknown> },
    });
    this.deps.live.publishTransition(transition);
    if (transition?.inboxItemId) await this.notify(ref.workspaceId, 'inbox.opened', transition.inboxItemId);
    if (transition?.status === 'failed') await this.notify(ref.workspaceId, 'run.failed', ref.runId);
    // A limited run left running (its slot was freed in the statement) or its line changed: the runs
    // at the head of the line get their jobs.
    const line = transition && slotLineOf(transition);
    if (line) await this.refill(line);
    return transition;
  }

  /**
   * Gives the runs at the head of a concurrency line a job, as many as it has free slots. A run that
   * still has a live job keeps it (enqueue leaves it alone), so refilling more often than needed costs
   * a query, never a second start. Failures are logged: the reconciler refills lines left waiting.
   */
  async refill(line: SlotLine): Promise<number> {
    try {
      const next = await this.deps.slots.nextInLine(line);
      for (const run of next) {
        await this.enqueueAttempt({
          runId: run.id,
          workspaceId: run.workspaceId,
          automationId: run.automationId,
          attemptCount: run.nextAttempt - 1,
          priority: run.priority,
        });
      }
      return next.length;
    } catch (error) {
      this.deps.warn(
        `could not refill the concurrency line of automation ${line.automationId}: ${(error as Error).message}`,
      );
      return 0;
    }
  }

  /**
   * Tells the workspace's notification channels (a job of its own: the run never waits for a channel,
   * and a channel that fails cannot hold it up). Its id comes from the topic and subject, so telling
   * twice is a no-op. A job Redis refused is only warned about: the run's state is already stored.
   */
  private async notify(workspaceId: string, topic: NotificationTopic, subjectId: string): Promise<void> {
    try {
      await this.deps.jobs.enqueue('notification.dispatch', { workspaceId, topic, subjectId });
    } catch (error) {
      this.deps.warn(`${topic} ${subjectId}: notifications not dispatched: ${(error as Error).message}`);
    }
  }

  /**
   * The job of the attempt that follows a transition. A limited run's line was refilled by `apply`
   * already (the run gets its job when it heads the line), unless the attempt waits for a retry delay.
   */
  private async enqueueNext(transition: TransitionResult, delayMs = 0): Promise<void> {
    if (delayMs === 0 && slotLineOf(transition)) return;
    await this.enqueueAttempt(transition, delayMs);
  }

  /**
   * The run's next attempt job. PostgreSQL already holds the run as queued (or retry-scheduled), so an
   * enqueue Redis refuses loses nothing: the reconciler re-enqueues runs that wait too long.
   */
  protected async enqueueAttempt(
    run: { runId: string; workspaceId: string; automationId: string; attemptCount: number; priority: number },
    delayMs = 0,
    options: { newId?: boolean } = {},
  ): Promise<void> {
    try {
      await this.deps.jobs.enqueue(
        'run.attempt',
        {
          runId: run.runId,
          workspaceId: run.workspaceId,
          automationId: run.automationId,
          attempt: run.attemptCount + 1,
        },
        { delayMs, priority: run.priority, ...options },
      );
    } catch (error) {
      this.deps.warn(
        `run ${run.runId} stays queued in PostgreSQL; enqueue failed: ${(error as Error).message}`,
      );
    }
  }
}

export interface Cost {
  wallMs: number;
  cpuMs: number;
  fetches: number;
}

/** A failed attempt as the commands that follow it record it. */
export interface FailedAttempt {
  /** Closes the attempt with what it left behind and how it was classified. */
  closing: { number: number; outcome: AttemptOutcome; classification: unknown };
  /** The run's error from now on. */
  error: RunError;
  /** What the event says of it: attempt, error, classification, cost. */
  facts: {
    attempt: number;
    error: { name: string; message: string };
    classification: { class: FailureClass; reason: string };
  } & Cost;
}
