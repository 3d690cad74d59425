import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient, waitForRun } from './support/client';
import { ADMIN, type Stack, startStack } from './support/stack';
import { json, type StandIn, startStandIn } from './support/stand-ins';
import { launchChromium, startWeb, type WebServer } from './support/web';

// Triggers and notification channels in the dashboard: Debian's Chromium against the built web app,
// the API and a worker. The automation page shows its schedule's next fire times, its event name and a
// webhook URL created there — which then really starts a run through the dashboard's origin; Settings
// adds a webhook channel pointed at a stand-in receiver and shows its delivery.

const SHOTS = path.join(process.cwd(), 'artifacts', 'screenshots');

let stack: Stack;
let api: Api;
let web: WebServer;
let browser: Browser;
let page: Page;
let receiver: StandIn;
const received: string[] = [];
const pageErrors: string[] = [];

const poll = <T>(fn: () => Promise<T> | T, timeout = 15_000) => expect.poll(fn, { timeout, interval: 50 });

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  receiver = await startStandIn((_request, body, response) => {
    received.push(body);
    json(response, 200, {});
  });
  stack = await startStack('triggers_web', { redisDb: 2 });
  api = apiClient(stack.apiUrl);
  web = await startWeb(stack.apiUrl);
  browser = await launchChromium();
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    reducedMotion: 'reduce',
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: web.url });
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
  await receiver?.close();
});

describe('triggers on the automation page', () => {
  it('shows the schedule and the event, creates a webhook URL that starts a run through the dashboard origin', async () => {
    const created = await api('POST', '/api/v1/automations', {
      name: 'Nightly sync',
      source: 'export default async function run(input) { return { got: input.body }; }',
      manifest: {
        // Once a year at midnight on 1 January: it never fires during the test.
        triggers: [
          { type: 'cron', cron: '0 0 1 1 *', timezone: 'Europe/Berlin' },
          { type: 'webhook' },
          { type: 'event', name: 'order.created' },
        ],
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;

    await page.goto(`${web.url}/automations/${id}`);
    const card = page.getByTestId('automation-triggers');
    await poll(() => card.getByTestId('schedule-trigger').innerText()).toContain('0 0 1 1 *');
    expect(await card.getByTestId('schedule-trigger').innerText()).toContain('Europe/Berlin');
    // The next ticks are each 1 January, a year apart.
    const next = await card.getByTestId('next-fire-times').innerText();
    expect(next.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(2);
    expect(await card.getByTestId('event-trigger').innerText()).toContain('order.created');

    await card.getByRole('button', { name: 'Create URL' }).click();
    const url = (await card.getByTestId('webhook-url').innerText()).trim();
    expect(url).toMatch(new RegExp(`^${web.url}/api/v1/hooks/${id}/whk_[A-Za-z0-9_-]{43}$`));
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(SHOTS, 'automation-triggers.png'), fullPage: true });

    // The URL works as shown, from outside, through the dashboard's origin.
    const hook = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(hook.status).toBe(202);
    const { runId } = (await hook.json()) as { runId: string };
    const run = await waitForRun(api, runId, ['succeeded', 'failed', 'action_needed']);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ got: 'hello' });

    // After a reload only the token's prefix is shown; rotating asks first, then shows a new URL.
    await page.reload();
    await poll(() => card.getByTestId('webhook-trigger').innerText()).toMatch(/whk_[\w-]*…/);
    await card.getByRole('button', { name: 'Rotate URL' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate' }).click();
    const rotated = (await card.getByTestId('webhook-url').innerText()).trim();
    expect(rotated).not.toBe(url);
    expect((await fetch(url, { method: 'POST', body: 'again' })).status).toBe(404);

    // The runs list filters by trigger.
    await page.goto(`${web.url}/runs?trigger=webhook`);
    await poll(() => page.getByRole('link', { name: runId.slice(0, 8) }).count()).toBe(1);
    await page.goto(`${web.url}/runs?trigger=cron`);
    await poll(() => page.getByText('No runs match these filters').count()).toBeGreaterThan(0);
    expect(pageErrors).toEqual([]);
  });
});

describe('notification channels in Settings', () => {
  it('adds a signed webhook channel, shows its secret once, tests it, lists the delivery of an inbox item, disables and deletes it', async () => {
    await page.goto(`${web.url}/settings`);
    const settings = page.getByTestId('notification-settings');
    const form = settings.getByRole('form', { name: 'Add a notification channel' });
    await form.getByLabel('Name').fill('ops-hook');
    await form.getByLabel('URL').fill(`${receiver.url}/mendflow`);
    await form.getByRole('button', { name: 'Add channel' }).click();
    const secret = (await page.getByTestId('channel-signing-secret').innerText()).trim();
    expect(secret.length).toBeGreaterThanOrEqual(32);
    await page.keyboard.press('Escape');

    const channels = settings.getByTestId('notification-channels');
    await poll(() => channels.innerText()).toContain('ops-hook');
    await channels.getByRole('button', { name: 'Test ops-hook' }).click();
    await poll(() => received.length).toBe(1);
    expect(received[0]).not.toContain(secret);
    await poll(() => page.getByText('Test sent').count()).toBeGreaterThan(0);

    // A run that needs a person: the channel is told, and the delivery shows up delivered.
    const automation = await api('POST', '/api/v1/automations', {
      name: 'Reach out',
      source: `export default async function run(input, ctx) {
        return (await ctx.fetch('https://' + ['not-allowed', 'example'].join('.') + '/')).status;
      }`,
    });
    expect(automation.status, JSON.stringify(automation.body)).toBe(201);
    const started = await api('POST', `/api/v1/automations/${automation.body.id}/runs`, { input: {} });
    expect((await waitForRun(api, started.body.id)).status).toBe('action_needed');
    await poll(() => received.length).toBe(2);
    expect(JSON.parse(received[1]!)).toMatchObject({ topic: 'inbox.opened' });
    const deliveries = settings.getByTestId('notification-deliveries');
    await poll(() => deliveries.innerText(), 20_000).toMatch(/delivered[\s\S]*ops-hook/i);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(SHOTS, 'settings-notifications.png'), fullPage: true });

    // Disabled, it is told nothing (PATCH); deleted, it is gone with its deliveries (DELETE).
    const listed = async () => (await api('GET', '/api/v1/notification-channels')).body.items;
    await channels.getByLabel('ops-hook enabled').click({ force: true });
    await poll(async () => (await listed())[0]?.enabled).toBe(false);
    await channels.getByRole('button', { name: 'Delete ops-hook' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await poll(async () => (await listed()).length).toBe(0);
    expect((await api('GET', '/api/v1/notification-deliveries')).body.items).toEqual([]);
    await poll(() => settings.getByText('No channels').count()).toBe(1);
    expect(pageErrors).toEqual([]);
  });
});
