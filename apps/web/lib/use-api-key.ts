'use client';

import { useCallback, useSyncExternalStore } from 'react';
import { forgetApiKey, loadApiKey, saveApiKey } from './api-key';

// localStorage has no change event within the same tab, so writes made here notify subscribers directly;
// the `storage` event covers other tabs.
const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('storage', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', listener);
  };
}

function notify(): void {
  for (const listener of listeners) listener();
}

/**
 * The stored API key: `undefined` while not yet known (server render and hydration), `null` when none is
 * stored, else the key.
 */
export function useApiKey(): {
  apiKey: string | null | undefined;
  setApiKey: (key: string) => void;
  clearApiKey: () => void;
} {
  const apiKey = useSyncExternalStore<string | null | undefined>(subscribe, loadApiKey, () => undefined);
  const setApiKey = useCallback((key: string) => {
    saveApiKey(key);
    notify();
  }, []);
  const clearApiKey = useCallback(() => {
    forgetApiKey();
    notify();
  }, []);
  return { apiKey, setApiKey, clearApiKey };
}
