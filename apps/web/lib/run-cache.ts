/**
 * How live messages change the query cache, without a request: a `run.event` is appended to its run's
 * events (de-duplicated and ordered by seq), and the status the catalog says it leaves the run in
 * (`statusAfter`) is written into the run's detail and into every cached runs list holding that run;
 * `run.status` writes the status the same way. Pure functions of a QueryClient, so they are unit-tested
 * without a browser.
 */
import {
  isTerminal,
  parseRunEvent,
  RESTING_RUN_STATUSES,
  type RunStatus,
  type RunWaitingFor,
  statusAfter,
} from '@mendflow/contracts';
import type { InfiniteData, QueryClient } from '@tanstack/react-query';
import type { Page, RunDetail, RunEvent, RunSummary } from './api';
import { queryKeys } from './query-keys';

/** The highest seq up to which the events have no gap (seqs start at 1 and increase by 1). */
export function contiguousSeq(events: readonly RunEvent[] | undefined): number {
  let seq = 0;
  for (const event of events ?? []) {
    if (event.seq === seq + 1) seq = event.seq;
    else if (event.seq > seq + 1) break;
  }
  return seq;
}

/** Adds events by seq (one per seq, in order); returns `current` itself when nothing is new. */
export function mergeEvents(
  current: readonly RunEvent[] | undefined,
  incoming: readonly RunEvent[],
): RunEvent[] {
  const base = current ?? [];
  const held = new Set(base.map((e) => e.seq));
  const fresh = incoming.filter((e) => !held.has(e.seq) && (held.add(e.seq), true));
  if (fresh.length === 0) return base as RunEvent[];
  const merged = [
    ...base,
    ...fresh.map(({ seq, type, data, createdAt }) => ({ seq, type, data, createdAt })),
  ];
  // Usually already ordered (the stream is gap-free and in order): sort only when it is not.
  for (let i = 1; i < merged.length; i += 1) {
    if (merged[i - 1]!.seq > merged[i]!.seq) return merged.sort((a, b) => a.seq - b.seq);
  }
  return merged;
}

/** The run's status after its last status-changing event, or null when none is held. */
export function statusFromEvents(events: readonly RunEvent[] | undefined): RunStatus | null {
  const list = events ?? [];
  for (let i = list.length - 1; i >= 0; i -= 1) {
    const status = statusAfter(list[i]!.type);
    if (status) return status;
  }
  return null;
}

/** What a run's event says it is waiting for now (only `run.waiting` says; other transitions clear it). */
function waitingAfter(
  event: Pick<RunEvent, 'type' | 'data'>,
  status: RunStatus,
): RunWaitingFor | null | undefined {
  const parsed = parseRunEvent(event);
  if (parsed.known && parsed.type === 'run.waiting') {
    const d = parsed.data as { kind: string; until: string; title?: string; inboxItemId?: string };
    if (d.kind === 'sleep') return { kind: 'sleep', until: d.until };
    if (d.inboxItemId) {
      return {
        kind: 'approval',
        inboxItemId: d.inboxItemId,
        title: d.title ?? 'Approval',
        expiresAt: d.until,
      };
    }
    return undefined;
  }
  // Queued again: it may be waiting for a slot, which only the API knows; keep what the API said until
  // it is read again. Any other status waits for nothing the view shows.
  return status === 'queued' ? undefined : null;
}

type RunPatch = Partial<
  Pick<RunSummary, 'status' | 'attemptCount' | 'nextAttemptAt' | 'startedAt' | 'waitingFor'>
>;

function patchRun<T extends RunSummary>(run: T, patch: RunPatch): T {
  const next = { ...run };
  let changed = false;
  for (const [key, value] of Object.entries(patch) as [keyof RunPatch, unknown][]) {
    if (value === undefined || next[key] === value) continue;
    (next as Record<string, unknown>)[key] = value;
    changed = true;
  }
  return changed ? next : run;
}

type RunsListData = Page<RunSummary> | InfiniteData<Page<RunSummary>>;

function patchPage(page: Page<RunSummary>, runId: string, patch: RunPatch): Page<RunSummary> {
  let changed = false;
  const items = page.items.map((run) => {
    if (run.id !== runId) return run;
    const next = patchRun(run, patch);
    if (next !== run) changed = true;
    return next;
  });
  return changed ? { ...page, items } : page;
}

/** Writes a run's new fields into its detail and into every cached runs list (paged or not) holding it. */
export function patchCachedRun(client: QueryClient, runId: string, patch: RunPatch): void {
  client.setQueryData<RunDetail>(queryKeys.runs.detail(runId), (run) => (run ? patchRun(run, patch) : run));
  client.setQueriesData<RunsListData>({ queryKey: queryKeys.runs.lists() }, (data) => {
    if (!data) return data;
    if ('pages' in data) {
      const pages = data.pages.map((page) => patchPage(page, runId, patch));
      return pages.some((page, i) => page !== data.pages[i]) ? { ...data, pages } : data;
    }
    return patchPage(data, runId, patch);
  });
}

export interface RunEventEffect {
  /** The status the event moved the run to, or null. */
  status: RunStatus | null;
  /**
   * Something the stream does not carry changed (an attempt started or closed, the run came to rest or
   * finished): the run's attempts, output and logs are worth reading again.
   */
  refreshDetails: boolean;
}

/**
 * Applies one streamed run event to the cache: appended to the run's events when they are cached (or
 * being loaded), and its status written wherever the run is cached.
 */
export function applyRunEvent(client: QueryClient, message: { runId: string } & RunEvent): RunEventEffect {
  const eventsKey = queryKeys.runs.events(message.runId);
  if (client.getQueryCache().find({ queryKey: eventsKey, exact: true })) {
    client.setQueryData<RunEvent[]>(eventsKey, (events) => mergeEvents(events, [message]));
  }
  const status = statusAfter(message.type);
  if (!status) return { status: null, refreshDetails: false };

  const patch: RunPatch = { status, waitingFor: waitingAfter(message, status) };
  const parsed = parseRunEvent(message);
  if (parsed.known && parsed.type === 'run.running') {
    const attempt = parsed.data.attempt as number;
    const run = client.getQueryData<RunDetail>(queryKeys.runs.detail(message.runId));
    patch.attemptCount = Math.max(run?.attemptCount ?? 0, attempt);
    patch.startedAt = run?.startedAt ?? message.createdAt;
    patch.nextAttemptAt = null;
  }
  if (parsed.known && parsed.type === 'run.retry_scheduled') {
    patch.nextAttemptAt = parsed.data.nextAttemptAt as string;
  }
  patchCachedRun(client, message.runId, patch);
  return {
    status,
    refreshDetails:
      message.type === 'run.running' ||
      message.type === 'attempt.abandoned' ||
      isTerminal(status) ||
      RESTING_RUN_STATUSES.includes(status),
  };
}

/** Applies a streamed `run.status`: the run's status wherever it is cached. */
export function applyRunStatus(client: QueryClient, message: { runId: string; status: RunStatus }): void {
  patchCachedRun(client, message.runId, {
    status: message.status,
    ...(message.status === 'queued' || message.status === 'waiting' ? {} : { waitingFor: null }),
  });
}
