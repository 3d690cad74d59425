import { mkdirSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient, waitForRun } from './support/client';
import { ADMIN, type Stack, startStack } from './support/stack';
import { json, type StandIn, startStandIn } from './support/stand-ins';
import { launchChromium, recordRunStatuses, seenStatuses, startWeb, type WebServer } from './support/web';

// Answering an approval request in the dashboard: Debian's Chromium (playwright-core) against the built
// web app, the API and a worker process, PostgreSQL and Redis, and a stand-in service. The request after
// the approval is held by the stand-in until the test lets it go, so the run page is open while the
// resumed attempt runs, and its status can be seen turning "Succeeded" live.

const SHOTS = path.join(process.cwd(), 'artifacts', 'screenshots');

let stack: Stack;
let api: Api;
let service: StandIn;
let web: WebServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
/** Requests to /held, answered when the test releases them. */
const held: ServerResponse[] = [];

const poll = <T>(fn: () => Promise<T> | T, timeout = 15_000) => expect.poll(fn, { timeout, interval: 50 });
const statusText = async () => (await page.getByTestId('run-status').innerText()).trim();

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  service = await startStandIn((request, _body, response) => {
    if ((request.url ?? '').startsWith('/held')) held.push(response);
    else json(response, 200, { amount: 120 });
  });
  stack = await startStack('approvals_web', { redisDb: 1, workerEnv: { ALLOW_PRIVATE_NETWORK: 'true' } });
  api = apiClient(stack.apiUrl);
  web = await startWeb(stack.apiUrl);
  browser = await launchChromium();
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    reducedMotion: 'reduce',
  });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await recordRunStatuses(page);
}, 180_000);

afterAll(async () => {
  for (const response of held) if (!response.writableEnded) json(response, 200, {});
  await browser?.close();
  await web?.stop();
  await stack?.stop();
  await service?.close();
});

describe('approving in the dashboard', () => {
  it('shows the request in the inbox, approves it with a comment, and the run page follows the run to Succeeded live', async () => {
    const created = await api('POST', '/api/v1/automations', {
      name: 'Send invoices',
      source: `export default async function run(input, ctx) {
  const { amount } = await (await ctx.fetch('${service.url}/total')).json();
  console.log('invoice total', amount);
  const answer = await ctx.waitForApproval({
    title: 'Send invoice to ACME',
    details: 'Invoice 2024-117 · ' + amount + ' EUR',
    caps: { maxFetches: 1 },
  });
  if (!answer.approved) return { sent: false };
  const res = await ctx.fetch('${service.url}/held');
  return { sent: res.ok, comment: answer.comment };
}
`,
      manifest: { permissions: { hosts: [service.url.replace('http://', '')] } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const started = await api('POST', `/api/v1/automations/${created.body.id}/runs`, { input: {} });
    expect(started.status).toBe(202);
    const runId = started.body.id as string;
    const waiting = await waitForRun(api, runId, ['waiting', 'succeeded', 'failed', 'action_needed'], 30_000);
    expect(waiting.status, JSON.stringify(waiting.error)).toBe('waiting');

    // Sign in to the run page: it says what the run waits for and links to the request.
    await page.goto(`${web.url}/login?next=${encodeURIComponent(`/runs/${runId}`)}`);
    await page.locator('input[name=email]').fill(ADMIN.email);
    await page.locator('input[name=password]').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${web.url}/runs/${runId}`);
    await poll(statusText).toBe('Waiting');
    await poll(() => page.getByTestId('waiting-for').getAttribute('data-kind')).toBe('approval');
    const itemHref = `/inbox#item-${waiting.waitingFor.inboxItemId}`;
    // The timeline's run.waiting entry links the same request.
    await poll(() =>
      page
        .getByTestId('timeline')
        .getByRole('link', { name: 'Approve or reject it in the inbox' })
        .getAttribute('href'),
    ).toBe(itemHref);
    await page.getByTestId('waiting-for').getByRole('link').click();
    await page.waitForURL(`${web.url}${itemHref}`);

    // The inbox shows the request with what the script says about it.
    const item = page.locator(`[data-testid=inbox-item][data-run-id="${runId}"]`);
    await poll(() => item.getAttribute('data-kind')).toBe('approval');
    expect(await item.getAttribute('data-status')).toBe('open');
    expect(await item.getByTestId('approval-title').innerText()).toBe('Send invoice to ACME');
    expect(await item.getByTestId('approval-details').innerText()).toBe('Invoice 2024-117 · 120 EUR');
    expect(await item.getByTestId('approval-expires').innerText()).toMatch(/^Expires /);
    expect(await item.innerText()).toContain('started by API key');
    await item.getByLabel('Comment (optional)').fill('Checked with finance');
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(SHOTS, 'inbox-approval.png'), fullPage: true });
    await item.getByRole('button', { name: 'Approve' }).click();
    // Answered: the item leaves the open list, and the API holds the answer.
    await poll(() => item.count()).toBe(0);
    const resolved = await api('GET', `/api/v1/inbox?runId=${runId}&status=resolved`);
    expect(resolved.body.items[0].resolution).toMatchObject({
      action: 'approve',
      comment: 'Checked with finance',
    });

    // The resumed attempt is held at its fetch: the run page is open before the run finishes.
    await poll(() => held.length).toBe(1);
    await page.goto(`${web.url}/runs/${runId}`);
    await poll(statusText).toBe('Running');
    await poll(() => page.getByTestId('timeline').getAttribute('data-settled')).toBe('true');
    await page.evaluate('window.__noReload = true');
    json(held[0]!, 200, { ok: true });

    await poll(statusText).toBe('Succeeded');
    expect(await page.evaluate('window.__noReload')).toBe(true);
    const seen = await seenStatuses(page);
    expect(seen.slice(-2)).toEqual(['Running', 'Succeeded']);
    const types = () =>
      page.getByTestId('timeline-event').evaluateAll((els) => els.map((el) => el.getAttribute('data-type')));
    await poll(types).toEqual([
      'run.queued',
      'run.running',
      'run.waiting',
      'inbox.resolved',
      'run.resumed',
      'run.running',
      'run.succeeded',
    ]);
    const timeline = await page.getByTestId('timeline').innerText();
    expect(timeline).toContain('Checked with finance');
    await poll(() => page.getByTestId('run-output').innerText()).toContain(
      '"comment": "Checked with finance"',
    );
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(SHOTS, 'run-approved.png'), fullPage: true });

    const run = await waitForRun(api, runId);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ sent: true, comment: 'Checked with finance' });
    expect(service.hits.get('/total')).toBe(1);
    expect(service.hits.get('/held')).toBe(1);
    expect(pageErrors).toEqual([]);
  });
});
