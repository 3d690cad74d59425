import type { Metadata } from 'next';
import { Suspense } from 'react';
import { AuditView } from '@/components/audit-view';
import { LoadingState } from '@/components/ui';

export const metadata: Metadata = { title: 'Audit log' };

export default function AuditPage() {
  // The filters live in the query string (useSearchParams), read in the browser.
  return (
    <Suspense fallback={<LoadingState label="Loading the audit log…" />}>
      <AuditView />
    </Suspense>
  );
}
