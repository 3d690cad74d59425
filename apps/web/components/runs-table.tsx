import type { RunSummary } from '@/lib/api';
import { formatAbsolute, formatDuration, formatRelative, humanize, shortId } from '@/lib/format';
import { StatusBadge } from './status-badge';
import styles from './runs-table.module.css';

interface RunsTableProps {
  runs: RunSummary[];
  /** Current time (ms since epoch) that relative times are computed against. */
  now: number;
}

/** Runs, newest first. Below ~40rem each row becomes a card (labels come from data-label). */
export function RunsTable({ runs, now }: RunsTableProps) {
  return (
    <div className={styles.wrap}>
      <table className={styles.table}>
        <caption className="visually-hidden">Latest runs, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Automation</th>
            <th scope="col">Run</th>
            <th scope="col">Trigger</th>
            <th scope="col">Started</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.id}>
              <td data-label="Status">
                <StatusBadge status={run.status} />
              </td>
              <td data-label="Automation">
                <div>
                  <span className={styles.automation}>{run.automationName}</span>{' '}
                  <span className={styles.version} title={`Version ${run.versionNumber}`}>
                    v{run.versionNumber}
                  </span>
                  {run.error ? (
                    <p className={styles.error} title={`${run.error.name}: ${run.error.message}`}>
                      <span className={styles.errorName}>{run.error.name}:</span> {run.error.message}
                    </p>
                  ) : null}
                </div>
              </td>
              <td data-label="Run">
                <code className={styles.id} title={run.id}>
                  {shortId(run.id)}
                </code>
              </td>
              <td data-label="Trigger">{humanize(run.trigger)}</td>
              <td data-label="Started">
                <time dateTime={run.createdAt} title={formatAbsolute(run.createdAt)}>
                  {formatRelative(run.createdAt, now)}
                </time>
              </td>
              <td data-label="Duration">
                {run.finishedAt ? (
                  <time dateTime={run.finishedAt} title={`Finished ${formatAbsolute(run.finishedAt)}`}>
                    {formatDuration(run.createdAt, run.finishedAt)}
                  </time>
                ) : (
                  <span className={styles.pending}>—</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
