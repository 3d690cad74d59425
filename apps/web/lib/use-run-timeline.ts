'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import { api, type ApiError, type RunEvent, toApiError } from './api';
import { type LiveMessage, useLiveConnection, useLiveSubscription } from './live';

const POLL_MS = 2_000;

/** The highest seq up to which the timeline has no gap (seqs start at 1 and increase by 1). */
function contiguousSeq(events: RunEvent[]): number {
  let seq = 0;
  for (const event of events) {
    if (event.seq === seq + 1) seq = event.seq;
    else if (event.seq > seq + 1) break;
  }
  return seq;
}

interface HeldEvent extends RunEvent {
  /** Read back from PostgreSQL over HTTP (the record of truth), not only received live. */
  stored: boolean;
}

function same(a: RunEvent, b: RunEvent): boolean {
  return (
    a.type === b.type && a.createdAt === b.createdAt && JSON.stringify(a.data) === JSON.stringify(b.data)
  );
}

/** Adds events by seq; a stored copy replaces a live one (the two can differ, e.g. in createdAt). */
function merge(current: HeldEvent[], incoming: RunEvent[], stored: boolean): HeldEvent[] {
  if (incoming.length === 0) return current;
  const bySeq = new Map(current.map((e) => [e.seq, e]));
  let changed = false;
  for (const event of incoming) {
    const held = bySeq.get(event.seq);
    if (!held || (stored && !held.stored)) {
      bySeq.set(event.seq, {
        seq: event.seq,
        type: event.type,
        data: event.data,
        createdAt: event.createdAt,
        stored,
      });
      if (!held || !same(held, event) || stored !== held.stored) changed = true;
    }
  }
  return changed ? [...bySeq.values()].sort((a, b) => a.seq - b.seq) : current;
}

export interface RunTimeline {
  events: RunEvent[];
  /** Every event shown has been read back over HTTP: what a reload would show. */
  settled: boolean;
  loading: boolean;
  error: ApiError | undefined;
  reload: () => void;
}

/**
 * A run's timeline: its events, read once over HTTP and then streamed over the live connection, merged by
 * seq (no duplicates, in order). After a reconnect the subscription resumes after the last seq held, and
 * while the live connection is down the timeline is polled over HTTP instead. Since the page renders only
 * these events, it shows the same thing live and after a reload.
 */
export function useRunTimeline(runId: string): RunTimeline {
  const [state, setState] = useState<{
    runId: string;
    events: HeldEvent[];
    loaded: boolean;
    error?: ApiError;
  }>({
    runId,
    events: [],
    loaded: false,
  });
  const lastSeq = useRef(0);
  const [generation, setGeneration] = useState(0);
  const connection = useLiveConnection();

  const current = state.runId === runId ? state : { runId, events: [], loaded: false, error: undefined };

  useEffect(() => {
    lastSeq.current = state.runId === runId ? contiguousSeq(state.events) : 0;
  }, [state, runId]);

  const add = useCallback(
    (incoming: RunEvent[], stored: boolean) =>
      setState((s) =>
        s.runId === runId
          ? { ...s, events: merge(s.events, incoming, stored) }
          : { runId, events: merge([], incoming, stored), loaded: false },
      ),
    [runId],
  );

  // The first read over HTTP.
  useEffect(() => {
    const controller = new AbortController();
    api.runEvents(runId, 0, controller.signal).then(
      (page) => {
        add(page.items, true);
        setState((s) => (s.runId === runId ? { ...s, loaded: true, error: undefined } : s));
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        setState((s) => ({ ...s, runId, loaded: true, error: toApiError(err) }));
      },
    );
    return () => controller.abort();
  }, [runId, add, generation]);

  // Live: the server replays events after afterSeq, then streams new ones.
  useLiveSubscription(
    { runId },
    (message: LiveMessage) => {
      if (message.name !== 'run.event' || message.payload.runId !== runId) return;
      const { seq, type, data, createdAt } = message.payload;
      add([{ seq, type, data, createdAt }], false);
    },
    () => ({ runId, afterSeq: lastSeq.current }),
  );

  // Fallback while the live connection is down: poll for what came after the last seq held.
  useEffect(() => {
    if (connection === 'connected') return;
    const timer = window.setInterval(() => {
      if (document.visibilityState !== 'visible') return;
      api.runEvents(runId, lastSeq.current).then(
        (page) => add(page.items, true),
        () => undefined,
      );
    }, POLL_MS);
    return () => window.clearInterval(timer);
  }, [connection, runId, add]);

  // Events received live are read back from the API shortly after, so the page ends up showing exactly
  // what PostgreSQL holds (what a reload shows) even where a live copy differed.
  const firstUnstored = current.events.find((e) => !e.stored)?.seq;
  const [readBacks, setReadBacks] = useState(0);
  useEffect(() => {
    if (firstUnstored === undefined) return;
    const timer = window.setTimeout(() => {
      api
        .runEvents(runId, firstUnstored - 1)
        .then(
          (page) => add(page.items, true),
          () => undefined,
        )
        .finally(() => setReadBacks((n) => n + 1)); // try again while something is still unconfirmed
    }, 250);
    return () => window.clearTimeout(timer);
  }, [firstUnstored, current.events.length, readBacks, runId, add]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return {
    events: current.events,
    settled: current.loaded && firstUnstored === undefined,
    loading: !current.loaded,
    error: current.events.length === 0 ? current.error : undefined,
    reload,
  };
}
