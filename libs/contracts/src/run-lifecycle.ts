/**
 * The run lifecycle as data: every status, and every command that moves a run, with the statuses it may
 * move from, the status it moves to and the event it appends. The engine (libs/engine) executes these
 * commands; the API, the worker and the dashboard read the derived sets from here instead of keeping
 * lists of their own.
 */

export const RUN_STATUSES = [
  'queued',
  'running',
  'retry_scheduled',
  'repairing',
  'waiting',
  'action_needed',
  'succeeded',
  'failed',
  'cancelled',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** `exploration`: a snippet an agent ran once through MCP `execute` (docs/mcp.md); never retried or repaired. */
export const RUN_TRIGGERS = ['manual', 'api', 'cron', 'webhook', 'event', 'retry', 'exploration'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

interface CommandSpec {
  /** The run moves only from one of these; in any other status the command changes nothing. */
  from: readonly RunStatus[];
  to: RunStatus;
  /** The event the command appends, in the same statement as the change. */
  event: string;
  /** What the command means, for the docs and for error messages. */
  summary: string;
}

const ACTIVE: readonly RunStatus[] = [
  'queued',
  'running',
  'retry_scheduled',
  'repairing',
  'waiting',
  'action_needed',
];

/**
 * Every state change of a run. `begin` may start from `running`: a run still running when its job is
 * delivered again lost its worker, and the new attempt replaces the abandoned one.
 */
export const RUN_COMMANDS = {
  queue: { from: [], to: 'queued', event: 'run.queued', summary: 'a new run is recorded and queued' },
  begin: {
    from: ['queued', 'retry_scheduled', 'running'],
    to: 'running',
    event: 'run.running',
    summary: 'a worker starts the next attempt',
  },
  succeed: { from: ['running'], to: 'succeeded', event: 'run.succeeded', summary: 'the attempt succeeded' },
  scheduleRetry: {
    from: ['running'],
    to: 'retry_scheduled',
    event: 'run.retry_scheduled',
    summary: 'a transient failure: the next attempt is scheduled with backoff',
  },
  startRepair: {
    from: ['running'],
    to: 'repairing',
    event: 'run.repairing',
    summary: 'a logic failure: the repair loop proposes a fix',
  },
  fail: {
    from: ['running'],
    to: 'failed',
    event: 'run.failed',
    summary: 'an exploration attempt failed: the run ends failed with its classification, no retry or repair',
  },
  escalate: {
    from: ['running', 'repairing'],
    to: 'action_needed',
    event: 'run.action_needed',
    summary: 'a person must act (an inbox item is opened)',
  },
  wait: {
    from: ['running'],
    to: 'waiting',
    event: 'run.waiting',
    summary: 'the script waits for an approval or a time; no worker slot is held',
  },
  resume: {
    from: ['waiting'],
    to: 'queued',
    event: 'run.resumed',
    summary: 'the wait ended (answered, expired or slept): the run is queued to continue',
  },
  requeue: {
    from: ['running'],
    to: 'queued',
    event: 'attempt.abandoned',
    summary: 'no worker finished the attempt (shutdown, lost lease): queued to start again',
  },
  resumeAfterRepair: {
    from: ['repairing', 'action_needed'],
    to: 'queued',
    event: 'repair.deployed',
    summary: 'a validated repair was deployed: the run resumes on the new version',
  },
  reject: {
    from: ['action_needed'],
    to: 'failed',
    event: 'run.failed',
    summary: 'a person rejected what the run needed: it ends failed',
  },
  cancel: { from: ACTIVE, to: 'cancelled', event: 'run.cancelled', summary: 'stopped on request' },
  retry: {
    from: ['failed', 'cancelled', 'action_needed'],
    to: 'queued',
    event: 'run.queued',
    summary: 'a person asks for another attempt, on the deployed version',
  },
} as const satisfies Record<string, CommandSpec>;

export type RunCommand = keyof typeof RUN_COMMANDS;
export const RUN_COMMAND_NAMES = Object.keys(RUN_COMMANDS) as RunCommand[];

/** status → the statuses a run in it may move to (derived from the commands). */
export const RUN_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = (() => {
  const table = Object.fromEntries(RUN_STATUSES.map((s) => [s, new Set<RunStatus>()])) as Record<
    RunStatus,
    Set<RunStatus>
  >;
  for (const spec of Object.values(RUN_COMMANDS) as CommandSpec[]) {
    for (const from of spec.from) table[from].add(spec.to);
  }
  return Object.fromEntries(
    RUN_STATUSES.map((s) => [s, RUN_STATUSES.filter((to) => table[s].has(to))]),
  ) as Record<RunStatus, RunStatus[]>;
})();

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return RUN_TRANSITIONS[from].includes(to);
}

/** Finished: only a person's `retry` moves the run again. */
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = RUN_STATUSES.filter((s) =>
  RUN_TRANSITIONS[s].every((to) => to === 'queued' && RUN_COMMANDS.retry.from.includes(s as never)),
);
export const CANCELLABLE_RUN_STATUSES: readonly RunStatus[] = RUN_COMMANDS.cancel.from;
export const RETRYABLE_RUN_STATUSES: readonly RunStatus[] = RUN_COMMANDS.retry.from;
/**
 * Not finished, but no worker is busy with it: it rests until a time (a retry's backoff, a sleep) or a
 * person (an approval, an inbox item).
 */
export const RESTING_RUN_STATUSES: readonly RunStatus[] = ['retry_scheduled', 'waiting', 'action_needed'];
/** Not finished: a worker has it, or will. */
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ACTIVE;

export function isTerminal(status: RunStatus): boolean {
  return TERMINAL_RUN_STATUSES.includes(status);
}
export function isCancellable(status: RunStatus): boolean {
  return CANCELLABLE_RUN_STATUSES.includes(status);
}
export function isRetryable(status: RunStatus): boolean {
  return RETRYABLE_RUN_STATUSES.includes(status);
}
