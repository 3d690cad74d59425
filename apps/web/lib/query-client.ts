import { QueryClient } from '@tanstack/react-query';
import type { ApiError } from './api';

/** Retried: the server could not be reached or failed; a 4xx answer will not change by asking again. */
function shouldRetry(failures: number, error: ApiError): boolean {
  return failures < 2 && (error.status === 0 || error.status >= 500);
}

/**
 * The dashboard's query cache. Data is kept current by live messages (live-cache.ts) and by the writes
 * that change it, so a window regaining focus does not read everything again; a page mounted anew reads
 * its data again (staleTime 0), as it always did.
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: shouldRetry, refetchOnWindowFocus: false, staleTime: 0 },
      mutations: { retry: false },
    },
  });
}
