import { FAILURE_CLASSES, type FailureClass, RUN_STATUSES, type RunStatus } from '@mendflow/contracts';
import type { Db } from '@mendflow/db';

export interface RunCount {
  status: RunStatus;
  /** The class of the run's latest attempt when that attempt failed; null otherwise (or never ran). */
  failureClass: FailureClass | null;
  count: number;
}

/**
 * Runs of every workspace by status and by the failure class of their latest attempt, in one
 * statement: a scan of runs with one index lookup (run_attempts' unique run_id, number) per run.
 * Read at scrape time through a ScrapeCache, never on a request's path.
 */
export async function readRunCounts(db: Db): Promise<RunCount[]> {
  const rows = await db.$queryRaw<{ status: string; failure_class: string | null; count: number }[]>`
    SELECT r.status, a.classification->>'class' AS failure_class, count(*)::int AS count
    FROM runs r
    LEFT JOIN run_attempts a ON a.run_id = r.id AND a.number = r.attempt_count
    GROUP BY 1, 2`;
  // Only the catalog's values become label values: the label set stays bounded whatever a row holds.
  return rows.flatMap((row) =>
    (RUN_STATUSES as readonly string[]).includes(row.status)
      ? [
          {
            status: row.status as RunStatus,
            failureClass: (FAILURE_CLASSES as readonly string[]).includes(row.failure_class ?? '')
              ? (row.failure_class as FailureClass)
              : row.failure_class === null
                ? null
                : 'unknown',
            count: row.count,
          },
        ]
      : [],
  );
}
