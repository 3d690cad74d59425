import type { Metadata, Viewport } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import styles from './layout.module.css';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Mendflow', template: '%s · Mendflow' },
  description: 'Runs JavaScript automations reliably, and mends them when they break.',
};

export const viewport: Viewport = {
  width: 'device-width',
  initialScale: 1,
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a href="#main" className="skip-link">
          Skip to content
        </a>
        <header className={styles.header}>
          <div className={styles.inner}>
            <Link href="/" className={styles.brand}>
              Mendflow
            </Link>
            <nav aria-label="Main">
              <ul className={styles.nav}>
                <li>
                  <Link href="/" aria-current="page">
                    Runs
                  </Link>
                </li>
              </ul>
            </nav>
          </div>
        </header>
        <main id="main" className={styles.main}>
          {children}
        </main>
      </body>
    </html>
  );
}
