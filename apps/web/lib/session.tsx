'use client';

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import {
  api,
  type ApiError,
  type Permission,
  type SessionInfo,
  setCsrfToken,
  setUnauthenticatedHandler,
  toApiError,
} from './api';
import { closeLive } from './live';
import { useQueryClient } from '@tanstack/react-query';

export type SessionState =
  | { status: 'loading' }
  | { status: 'signed-in'; session: SessionInfo }
  | { status: 'signed-out' }
  | { status: 'error'; error: ApiError };

interface SessionContextValue {
  state: SessionState;
  signedIn: (session: SessionInfo) => void;
  signOut: () => Promise<void>;
  refresh: () => void;
}

const SessionContext = createContext<SessionContextValue | null>(null);

/** Who is signed in (GET /me), the CSRF token for writes, and what happens when the session ends. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const [generation, setGeneration] = useState(0);
  // Cached data belongs to the session (and its workspace): dropped when the session ends.
  const queryClient = useQueryClient();

  useEffect(() => {
    const controller = new AbortController();
    api.me(controller.signal).then(
      (session) => {
        setCsrfToken(session.csrfToken);
        setState({ status: 'signed-in', session });
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        const error = toApiError(err);
        setState(error.isUnauthenticated ? { status: 'signed-out' } : { status: 'error', error });
      },
    );
    return () => controller.abort();
  }, [generation]);

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      setCsrfToken(null);
      closeLive();
      queryClient.clear();
      setState({ status: 'signed-out' });
    });
    return () => setUnauthenticatedHandler(null);
  }, [queryClient]);

  const signedIn = useCallback((session: SessionInfo) => {
    setCsrfToken(session.csrfToken);
    setState({ status: 'signed-in', session });
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.logout();
    } finally {
      setCsrfToken(null);
      closeLive();
      queryClient.clear();
      setState({ status: 'signed-out' });
    }
  }, [queryClient]);

  const refresh = useCallback(() => {
    setState({ status: 'loading' });
    setGeneration((g) => g + 1);
  }, []);

  const value = useMemo(() => ({ state, signedIn, signOut, refresh }), [state, signedIn, signOut, refresh]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession must be used inside <SessionProvider>');
  return value;
}

/** The signed-in session; only for components rendered inside the dashboard shell. */
export function useSignedIn(): SessionInfo {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('useSignedIn used outside a signed-in page');
  return state.session;
}

/** Whether the signed-in user's role here holds `permission` (the dashboard hides what it would refuse). */
export function useCan(permission: Permission): boolean {
  const { state } = useSession();
  return state.status === 'signed-in' && state.session.permissions.includes(permission);
}
