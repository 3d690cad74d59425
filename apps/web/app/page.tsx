import type { Metadata } from 'next';
import { RunsDashboard } from '@/components/runs-dashboard';
import styles from './page.module.css';

export const metadata: Metadata = { title: 'Runs' };

export default function RunsPage() {
  return (
    <>
      <div className={styles.heading}>
        <h1 className={styles.title}>Runs</h1>
        <p className={styles.lead}>The latest runs of every automation in your workspace, newest first.</p>
      </div>
      <RunsDashboard />
    </>
  );
}
