'use client';

import { isTerminal, RESTING_RUN_STATUSES, statusAfter } from '@mendflow/contracts';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import type { ApiError, RunEvent } from './api';
import { useLiveConnection, useLiveSubscription } from './live';
import { queries, queryKeys } from './queries';
import { contiguousSeq } from './run-cache';

const POLL_MS = 2_000;

export interface RunTimeline {
  events: RunEvent[];
  /** Read over HTTP and gap-free: what a reload would show. */
  settled: boolean;
  loading: boolean;
  error: ApiError | undefined;
  reload: () => void;
}

/** Events after which a run's attempts, output or logs (not carried by the stream) are worth reading again. */
function detailsChangedBy(event: RunEvent): boolean {
  if (event.type === 'run.running' || event.type === 'attempt.abandoned') return true;
  const status = statusAfter(event.type);
  return status !== null && (isTerminal(status) || RESTING_RUN_STATUSES.includes(status));
}

/**
 * A run's timeline: read once over HTTP into the query cache, then kept current by the live stream
 * (the workspace listener appends every `run.event` to this cache entry, see live-cache.ts). The run
 * subscription asks the server to replay what came after the gap-free prefix held, so a reconnect
 * catches up without a request. While the live connection is down, the entry is polled instead (each
 * poll reads only what comes after that prefix).
 */
export function useRunTimeline(runId: string): RunTimeline {
  const client = useQueryClient();
  const connection = useLiveConnection();
  const query = useQuery({
    ...queries.runEvents(client, runId),
    refetchInterval: connection === 'connected' ? false : POLL_MS,
  });

  useLiveSubscription({ runId }, null, () => ({
    runId,
    afterSeq: contiguousSeq(client.getQueryData<RunEvent[]>(queryKeys.runs.events(runId))),
  }));

  // Polled events do not pass through the live listener: refresh the details it would have refreshed.
  const events = query.data;
  const detailEvents = (events ?? []).filter(detailsChangedBy).length;
  const seenDetailEvents = useRef<number | null>(null);
  useEffect(() => {
    if (events === undefined) return;
    const previous = seenDetailEvents.current;
    seenDetailEvents.current = detailEvents;
    if (previous === null || detailEvents <= previous || connection === 'connected') return;
    void client.invalidateQueries({ queryKey: queryKeys.runs.detail(runId) });
    void client.invalidateQueries({ queryKey: queryKeys.runs.logs(runId) });
  }, [events, detailEvents, connection, client, runId]);

  const list = events ?? [];
  return {
    events: list,
    settled:
      query.isSuccess && !query.isFetching && contiguousSeq(list) === (list[list.length - 1]?.seq ?? 0),
    loading: query.isPending,
    error: list.length === 0 ? (query.error ?? undefined) : undefined,
    reload: () => void query.refetch(),
  };
}
