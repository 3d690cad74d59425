import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { freePort, startScript, waitFor } from './stack.ts';

const ROOT = process.env.MENDFLOW_ROOT ?? process.cwd();

export interface WebServer {
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

/** Builds the web app when no production build exists (CI builds it first, in scripts/build.sh). */
export function ensureWebBuild(): void {
  if (existsSync(path.join(ROOT, 'apps/web/.next/BUILD_ID'))) return;
  execFileSync('npm', ['run', '--silent', 'build', '-w', '@mendflow/web'], {
    cwd: ROOT,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    stdio: 'pipe',
  });
}

/** `npm run start:web` (next start) on a free port, proxying /api and /socket.io to `apiUrl`. */
export async function startWeb(apiUrl: string, timeoutMs = 60_000): Promise<WebServer> {
  ensureWebBuild();
  const port = await freePort();
  const web = startScript('start:web', {
    ...process.env,
    WEB_PORT: String(port),
    API_URL: apiUrl,
    NEXT_TELEMETRY_DISABLED: '1',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/healthz`, web, timeoutMs);
  return { url, output: web.output, stop: () => web.stop() };
}

/** Debian's Chromium, headless, with nothing that reaches the network on its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/**
 * Records every text the run status badge shows, from the moment it appears, without polling gaps
 * (a MutationObserver in the page); `seenStatuses` reads them back. The script is a string because the
 * tests are type-checked without the DOM library.
 */
export async function recordRunStatuses(page: Page): Promise<void> {
  await page.addInitScript(`(() => {
    const seen = (window.__statusSeen = []);
    const record = () => {
      const text = document.querySelector('[data-testid="run-status"]')?.textContent?.trim();
      if (text && seen[seen.length - 1] !== text) seen.push(text);
    };
    new MutationObserver(record).observe(document, { subtree: true, childList: true, characterData: true });
  })();`);
}

/** The run status texts recorded since the page loaded (see recordRunStatuses). */
export async function seenStatuses(page: Page): Promise<string[]> {
  return (await page.evaluate('window.__statusSeen')) as string[];
}
