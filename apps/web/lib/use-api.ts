'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import { type ApiError, toApiError } from './api';

/**
 * Tags name kinds of data ("runs", "inbox", "automations"…). A change made on one screen invalidates a tag
 * and every mounted query that depends on it reloads in the background.
 */
const tagListeners = new Map<string, Set<() => void>>();

export function invalidate(...tags: string[]): void {
  for (const tag of tags) for (const listener of tagListeners.get(tag) ?? []) listener();
}

function onInvalidate(tags: readonly string[], listener: () => void): () => void {
  for (const tag of tags) {
    let set = tagListeners.get(tag);
    if (!set) tagListeners.set(tag, (set = new Set()));
    set.add(listener);
  }
  return () => {
    for (const tag of tags) tagListeners.get(tag)?.delete(listener);
  };
}

export interface Query<T> {
  data: T | undefined;
  error: ApiError | undefined;
  /** True until the first answer (or error) for the current key. */
  loading: boolean;
  /** True while any request is in flight, including background reloads. */
  fetching: boolean;
  reload: () => void;
  setData: (update: (current: T | undefined) => T | undefined) => void;
}

/**
 * Loads `fetcher` whenever `key` changes (null: do not load), keeps the last answer while reloading, and
 * reloads when one of `tags` is invalidated.
 */
export function useApi<T>(
  key: string | null,
  fetcher: (signal: AbortSignal) => Promise<T>,
  tags: readonly string[] = [],
): Query<T> {
  const [state, setState] = useState<{ key: string | null; data?: T; error?: ApiError; fetching: boolean }>({
    key: null,
    fetching: false,
  });
  const fetcherRef = useRef(fetcher);
  const controllerRef = useRef<AbortController | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    fetcherRef.current = fetcher;
  });

  const reload = useCallback(() => setGeneration((g) => g + 1), []);

  useEffect(() => {
    if (key === null) return;
    controllerRef.current?.abort();
    const controller = new AbortController();
    controllerRef.current = controller;
    setState((s) => (s.key === key ? { ...s, fetching: true } : { key, fetching: true }));
    fetcherRef.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ key, data, fetching: false });
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        setState((s) => ({
          key,
          data: s.key === key ? s.data : undefined,
          error: toApiError(err),
          fetching: false,
        }));
      },
    );
    return () => controller.abort();
  }, [key, generation]);

  const tagKey = tags.join('|');
  useEffect(() => {
    if (!tagKey) return;
    return onInvalidate(tagKey.split('|'), reload);
  }, [tagKey, reload]);

  const setData = useCallback(
    (update: (current: T | undefined) => T | undefined) => setState((s) => ({ ...s, data: update(s.data) })),
    [],
  );

  const current = state.key === key;
  return {
    data: current ? state.data : undefined,
    // An error only matters while there is nothing better to show.
    error: current && state.data === undefined ? state.error : undefined,
    loading: key !== null && (!current || (state.data === undefined && state.error === undefined)),
    fetching: state.fetching,
    reload,
    setData,
  };
}
