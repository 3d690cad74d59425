import type { RunStatus } from '@/lib/api';
import { humanize } from '@/lib/format';
import styles from './status-badge.module.css';

const TONE: Record<RunStatus, string> = {
  queued: 'neutral',
  running: 'info',
  retry_scheduled: 'warning',
  repairing: 'repair',
  waiting: 'waiting',
  action_needed: 'attention',
  succeeded: 'success',
  failed: 'danger',
  cancelled: 'muted',
};

/** A run status as a colored pill; the text carries the meaning, the color only reinforces it. */
export function StatusBadge({ status }: { status: RunStatus | string }) {
  const tone = TONE[status as RunStatus] ?? 'neutral';
  return (
    <span className={`${styles.badge} ${styles[tone] ?? ''}`} data-status={status}>
      <span className={styles.dot} aria-hidden="true" />
      {humanize(status)}
    </span>
  );
}
