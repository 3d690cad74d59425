import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient } from './support/client';
import { ADMIN, type Stack, startStack } from './support/stack';
import { launchChromium, startWeb, type WebServer } from './support/web';

// Signed bundles in the dashboard: Debian's Chromium against the built web app and the API. The
// automation page's "Export bundle" downloads `<name>.mendflow.json`; "Import bundle" on the list shows
// a refusal with its code (a changed file fails its signature); Settings shows the workspace's key.

let stack: Stack;
let api: Api;
let web: WebServer;
let browser: Browser;
let page: Page;
let automationId: string;
const pageErrors: string[] = [];

const poll = <T>(fn: () => Promise<T> | T, timeout = 15_000) => expect.poll(fn, { timeout, interval: 50 });

beforeAll(async () => {
  stack = await startStack('bundles_web', { redisDb: 5, worker: false });
  api = apiClient(stack.apiUrl);
  const created = await api('POST', '/api/v1/automations', {
    name: 'Exported report',
    source: 'export default async function run() { return { ok: true }; }',
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  automationId = created.body.id;
  web = await startWeb(stack.apiUrl);
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${web.url}/login`);
  await page.locator('input[name=email]').fill(ADMIN.email);
  await page.locator('input[name=password]').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${web.url}/`);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await stack?.stop();
});

let downloaded: any;

describe('bundles in the dashboard', () => {
  it('"Export bundle" downloads the signed bundle as <name>.mendflow.json', async () => {
    await page.goto(`${web.url}/automations/${automationId}`);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('export-bundle').click(),
    ]);
    expect(download.suggestedFilename()).toBe('Exported report.mendflow.json');
    downloaded = JSON.parse(readFileSync((await download.path())!, 'utf8'));
    const key = await api('GET', '/api/v1/signing-key');
    expect(downloaded).toMatchObject({
      format: 'mendflow.bundle/v1',
      automation: { name: 'Exported report', version: 1 },
      publisher: { publicKey: key.body.publicKey, fingerprint: key.body.fingerprint },
    });
  });

  it('"Import bundle" shows a refusal with its code, and imports a good bundle', async () => {
    const tampered = structuredClone(downloaded);
    tampered.automation.source = 'export default async function run() { return { ok: false }; }';
    await page.goto(`${web.url}/automations`);
    await page.getByTestId('import-bundle').click();
    const fileInput = page.locator('input[type=file]');
    await fileInput.setInputFiles({
      name: 'tampered.mendflow.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(tampered)),
    });
    await page.getByTestId('import-bundle-submit').click();
    const error = page.getByTestId('import-bundle-error');
    await poll(() => error.innerText()).toContain('BUNDLE_SIGNATURE_INVALID');
    expect(await error.innerText()).toContain('changed after it was signed');

    await fileInput.setInputFiles({
      name: 'good.mendflow.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(downloaded)),
    });
    await page.getByLabel('Name').fill('Imported report');
    await page.getByTestId('import-bundle-submit').click();
    await page.waitForURL(/\/automations\/[0-9a-f-]{36}$/);
    const names = (await api('GET', '/api/v1/automations')).body.items.map((a: { name: string }) => a.name);
    expect(names).toContain('Imported report');
  });

  it('Settings shows the public key and fingerprint to copy', async () => {
    await page.goto(`${web.url}/settings`);
    const key = await api('GET', '/api/v1/signing-key');
    const section = page.getByTestId('signing-settings');
    await poll(() => section.getByTestId('signing-fingerprint').innerText()).toBe(key.body.fingerprint);
    expect(await section.getByTestId('signing-public-key').innerText()).toBe(key.body.publicKey);
    expect(pageErrors).toEqual([]);
  });
});
