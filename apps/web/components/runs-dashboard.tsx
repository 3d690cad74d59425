'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, listRuns, type Page, type RunSummary } from '@/lib/api';
import { formatRelative } from '@/lib/format';
import { useApiKey } from '@/lib/use-api-key';
import { useNow } from '@/lib/use-now';
import { ApiKeyForm } from './api-key-form';
import { RunsTable } from './runs-table';
import styles from './runs-dashboard.module.css';

const PAGE_SIZE = 50;
const REFRESH_MS = 10_000;

type LoadState =
  | { kind: 'loading' }
  | { kind: 'ready'; page: Page<RunSummary>; loadedAt: number }
  | { kind: 'error'; error: ApiError };

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(0, 'UNEXPECTED', err instanceof Error ? err.message : String(err));
}

/** The latest runs of the workspace the API key belongs to, refreshed every few seconds. */
export function RunsDashboard() {
  const { apiKey, setApiKey, clearApiKey } = useApiKey();
  const [state, setState] = useState<LoadState>({ kind: 'loading' });
  const [refreshing, setRefreshing] = useState(false);
  const [editingKey, setEditingKey] = useState(false);
  const now = useNow(15_000);
  const inFlight = useRef<AbortController | null>(null);

  const load = useCallback(
    async (key: string, mode: 'initial' | 'refresh') => {
      inFlight.current?.abort();
      const controller = new AbortController();
      inFlight.current = controller;
      if (mode === 'initial') setState({ kind: 'loading' });
      else setRefreshing(true);
      try {
        const page = await listRuns(key, { limit: PAGE_SIZE }, controller.signal);
        setState({ kind: 'ready', page, loadedAt: Date.now() });
      } catch (err) {
        if (controller.signal.aborted) return;
        setState({ kind: 'error', error: toApiError(err) });
      } finally {
        if (inFlight.current === controller) {
          inFlight.current = null;
          setRefreshing(false);
        }
      }
    },
    [],
  );

  const rejected = state.kind === 'error' && state.error.isUnauthenticated;

  // Load whenever the key changes.
  useEffect(() => {
    if (!apiKey) return;
    void load(apiKey, 'initial');
    return () => inFlight.current?.abort();
  }, [apiKey, load]);

  // Keep the list fresh while the tab is visible (not while the key is being rejected).
  useEffect(() => {
    if (!apiKey || rejected) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible' && !inFlight.current) void load(apiKey, 'refresh');
    }, REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [apiKey, rejected, load]);

  if (apiKey === undefined) {
    // Server render / hydration: the key lives in localStorage, which only the browser can read.
    return <LoadingRows label="Loading…" />;
  }

  if (apiKey === null || editingKey) {
    return (
      <section className={styles.panel} aria-labelledby="key-heading">
        <h2 id="key-heading" className={styles.panelTitle}>
          {apiKey === null ? 'Connect with an API key' : 'Change API key'}
        </h2>
        <ApiKeyForm
          autoFocus={editingKey}
          onSubmit={(key) => {
            setEditingKey(false);
            setApiKey(key);
          }}
          onCancel={apiKey === null ? undefined : () => setEditingKey(false)}
        />
      </section>
    );
  }

  return (
    <>
      <div className={styles.toolbar}>
        <p className={styles.keyInfo}>
          Using key <code>…{apiKey.slice(-4)}</code>
        </p>
        <div className={styles.actions}>
          <button
            type="button"
            className="button"
            onClick={() => void load(apiKey, state.kind === 'ready' ? 'refresh' : 'initial')}
            disabled={refreshing || state.kind === 'loading'}
          >
            {refreshing ? 'Refreshing…' : 'Refresh'}
          </button>
          <button type="button" className="button" onClick={() => setEditingKey(true)}>
            Change key
          </button>
          <button type="button" className="button button-quiet" onClick={clearApiKey}>
            Forget key
          </button>
        </div>
      </div>

      <RunsContent
        state={state}
        now={now}
        onRetry={() => void load(apiKey, 'initial')}
        onReplaceKey={() => {
          clearApiKey();
        }}
      />
    </>
  );
}

function RunsContent({
  state,
  now,
  onRetry,
  onReplaceKey,
}: {
  state: LoadState;
  now: number;
  onRetry: () => void;
  onReplaceKey: () => void;
}) {
  if (state.kind === 'loading') return <LoadingRows label="Loading runs…" />;

  if (state.kind === 'error') {
    const { error } = state;
    if (error.isUnauthenticated) {
      return (
        <div className={styles.alert} role="alert">
          <h2 className={styles.alertTitle}>Key rejected</h2>
          <p>The API did not accept this key ({error.message}). It may have been revoked or mistyped.</p>
          <button type="button" className="button button-primary" onClick={onReplaceKey}>
            Enter another key
          </button>
        </div>
      );
    }
    return (
      <div className={styles.alert} role="alert">
        <h2 className={styles.alertTitle}>Could not load runs</h2>
        <p>
          {error.message} <span className={styles.code}>({error.code})</span>
        </p>
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      </div>
    );
  }

  const { items, nextCursor } = state.page;
  return (
    <>
      <p className={styles.status}>
        <span role="status">
          {items.length === 0
            ? 'No runs yet.'
            : `${items.length} ${items.length === 1 ? 'run' : 'runs'}${nextCursor ? ` (the latest ${PAGE_SIZE})` : ''}`}
        </span>
        {' · '}updated {formatRelative(new Date(state.loadedAt).toISOString(), Math.max(now, state.loadedAt))}
      </p>
      {items.length === 0 ? (
        <div className={styles.empty}>
          <h2 className={styles.emptyTitle}>No runs yet</h2>
          <p>
            Create an automation and start a run through the API (<code>POST /api/v1/automations</code>, then{' '}
            <code>POST /api/v1/automations/:id/runs</code>); it shows up here.
          </p>
        </div>
      ) : (
        <RunsTable runs={items} now={Math.max(now, state.loadedAt)} />
      )}
    </>
  );
}

function LoadingRows({ label }: { label: string }) {
  return (
    <div className={styles.loading} role="status" aria-live="polite">
      <span className={styles.spinner} aria-hidden="true" />
      {label}
    </div>
  );
}
