'use client';

import { isTerminal, RESTING_RUN_STATUSES } from '@mendflow/contracts';
import { type QueryClient, type QueryKey, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { type LiveMessage, useLiveSubscription } from './live';
import { queryKeys } from './query-keys';
import { applyRunEvent, applyRunStatus } from './run-cache';

/** How long invalidations caused by live messages are gathered before they are sent, at most once each. */
const SETTLE_MS = 300;

/**
 * Applies one live message to the cache. Returns the keys worth reading again: only what the stream
 * does not carry (a run's attempts, output and logs when an attempt starts or closes or the run comes to
 * rest; inbox lists when an item opens or is resolved; stats and repairs), never the events themselves.
 */
export function liveMessageEffects(client: QueryClient, message: LiveMessage): QueryKey[] {
  switch (message.name) {
    case 'run.event': {
      const { runId, type } = message.payload;
      const effect = applyRunEvent(client, message.payload);
      const keys: QueryKey[] = [];
      if (effect.refreshDetails) keys.push(queryKeys.runs.detail(runId), queryKeys.runs.logs(runId));
      if (type.startsWith('repair.')) {
        keys.push(queryKeys.repairs.all, queryKeys.versions.all, queryKeys.automations.all);
      }
      if (type === 'inbox.resolved' || type === 'run.action_needed' || type === 'run.waiting') {
        keys.push(queryKeys.inbox.all);
      }
      return keys;
    }
    case 'run.status': {
      applyRunStatus(client, message.payload);
      const { status } = message.payload;
      // Per-automation stats and the overview change when a run finishes or comes to rest.
      return isTerminal(status) || RESTING_RUN_STATUSES.includes(status)
        ? [queryKeys.overview.all, queryKeys.automations.all]
        : [];
    }
    case 'inbox.item':
      return [queryKeys.inbox.all];
    default:
      return [];
  }
}

/**
 * Subscribes to the workspace's live messages and keeps the cache current from them, without a request
 * per message: see run-cache.ts. Mounted once, by the signed-in shell; `onMessage` is for side effects
 * such as notifications.
 */
export function useLiveCache(onMessage?: (message: LiveMessage) => void): void {
  const client = useQueryClient();
  const pending = useRef(new Map<string, QueryKey>());
  const timer = useRef<number | null>(null);

  useLiveSubscription({ workspace: true }, (message) => {
    onMessage?.(message);
    for (const key of liveMessageEffects(client, message)) pending.current.set(JSON.stringify(key), key);
    if (timer.current === null && pending.current.size > 0) {
      timer.current = window.setTimeout(() => {
        timer.current = null;
        const keys = [...pending.current.values()];
        pending.current.clear();
        for (const queryKey of keys) void client.invalidateQueries({ queryKey });
      }, SETTLE_MS);
    }
  });

  useEffect(
    () => () => {
      if (timer.current !== null) window.clearTimeout(timer.current);
    },
    [],
  );
}
