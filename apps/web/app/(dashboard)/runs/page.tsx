import type { Metadata } from 'next';
import { Suspense } from 'react';
import { LoadingState } from '@/components/ui';
import { RunsView } from '@/components/runs-view';

export const metadata: Metadata = { title: 'Runs' };

export default function RunsPage() {
  // The filters live in the query string (useSearchParams), read in the browser.
  return (
    <Suspense fallback={<LoadingState label="Loading runs…" />}>
      <RunsView />
    </Suspense>
  );
}
