import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createDb, type Db, RunExecutionRepository } from '@mendflow/db';
import { LiveEventsPublisher } from '@mendflow/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient, waitForRun } from './support/client';
import { ADMIN, type Stack, startStack } from './support/stack';
import { json, type StandIn, startStandIn } from './support/stand-ins';
import { launchChromium, recordRunStatuses, seenStatuses, startWeb, type WebServer } from './support/web';

// The dashboard in a real browser: Debian's Chromium (playwright-core) against the built web app
// (`next start`, proxying /api and /socket.io to the API), the API and a worker process, PostgreSQL and
// Redis. Screenshots of every page land in artifacts/screenshots/.

const SHOTS = path.join(process.cwd(), 'artifacts', 'screenshots');
const LAPTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };

let stack: Stack;
let api: Api;
let service: StandIn;
let web: WebServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
// Anything the dashboard's Content-Security-Policy refused (console reports and violation events).
const cspViolations: string[] = [];
const websockets: string[] = [];
// Every request the page makes to the API (through the web server's proxy), in order.
const apiRequests: string[] = [];
let db: Db;
let execution: RunExecutionRepository;
let publisher: LiveEventsPublisher;

let slowAutomationId: string;
let brokenAutomationId: string;
let liveRunId: string;
let failedRunId: string;

async function createAutomation(name: string, source: string, manifest: Record<string, unknown> = {}) {
  const { status, body } = await api('POST', '/api/v1/automations', { name, source, manifest });
  expect(status, JSON.stringify(body)).toBe(201);
  return body.id as string;
}

async function shot(name: string) {
  // Let charts and fonts settle, and move the pointer away so no tooltip is captured.
  await page.mouse.move(0, 0);
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** Polls until the expectation holds (vitest's default of 1 s is too short for a browser). */
const poll = <T>(fn: () => Promise<T> | T, timeout = 10_000) => expect.poll(fn, { timeout, interval: 50 });

async function statusText(): Promise<string> {
  return (await page.getByTestId('run-status').innerText()).trim();
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  // A slow outside service: every answer takes 700 ms, so a run stays `running` long enough to be seen.
  service = await startStandIn((_request, _body, response) => {
    setTimeout(() => json(response, 200, { ok: true, leads: [1, 2, 3] }), 700);
  });
  // The worker starts later, in the test: until it does, a new run stays `queued`.
  stack = await startStack('dashboard', {
    redisDb: 9,
    worker: false,
    workerEnv: { ALLOW_PRIVATE_NETWORK: 'true' },
  });
  api = apiClient(stack.apiUrl);
  db = createDb(stack.databaseUrl, { poolSize: 2 });
  execution = new RunExecutionRepository(db);
  publisher = new LiveEventsPublisher(stack.redisUrl);
  web = await startWeb(stack.apiUrl);
  browser = await launchChromium();
  context = await browser.newContext({ viewport: LAPTOP, reducedMotion: 'reduce' });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text()))
      cspViolations.push(`${page.url()}: ${message.text()}`);
  });
  page.on('websocket', (socket) => websockets.push(socket.url()));
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/api/v1/'))
      apiRequests.push(`${request.method()} ${url.pathname}${url.search}`);
  });
  await page.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => {
    (window.__cspViolations ??= []).push(e.violatedDirective + ' ' + e.blockedURI);
  });`);
  // Records every text the run status badge shows, from the moment it appears, without polling gaps.
  await recordRunStatuses(page);

  const host = service.url.replace('http://', '');
  slowAutomationId = await createAutomation(
    'Sync CRM leads',
    `export default async function run(input, ctx) {
  const res = await ctx.fetch('${service.url}/leads');
  const { leads } = await res.json();
  ctx.log.info('fetched leads', { count: leads.length });
  await ctx.fetch('${service.url}/notify');
  return { sent: leads.length, who: input.who ?? 'nobody' };
}
`,
    { permissions: { hosts: [host] } },
  );
  // A second version, so the automation page has a diff between versions.
  const v2 = await api('POST', `/api/v1/automations/${slowAutomationId}/versions`, {
    source: (await api('GET', `/api/v1/automations/${slowAutomationId}`)).body.deployedVersion.source.replace(
      "'fetched leads'",
      "'fetched CRM leads'",
    ),
    manifest: { permissions: { hosts: [host] }, limits: { timeoutMs: 20_000 } },
  });
  expect(v2.status, JSON.stringify(v2.body)).toBe(201);
  brokenAutomationId = await createAutomation(
    'Nightly revenue report',
    `export default async function run(input, ctx) {
  ctx.log.warn('building the report');
  return { total: input.report.rows.length };
}
`,
  );
}, 180_000);

afterAll(async () => {
  await publisher?.close();
  await db?.$disconnect();
  await browser?.close();
  await web?.stop();
  await stack?.stop();
  await service?.close();
});

describe('dashboard in a browser', () => {
  it('signs in with email and password', async () => {
    await page.goto(`${web.url}/runs`);
    await page.waitForURL(/\/login\?next=%2Fruns$/);
    await poll(() => page.locator('input[name=email]').isVisible()).toBe(true);
    await shot('login');

    await page.locator('input[name=email]').fill(ADMIN.email);
    await page.locator('input[name=password]').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await poll(() => page.getByTestId('login-error').textContent()).toContain('email or password is wrong');

    await page.locator('input[name=password]').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${web.url}/runs`);
    await poll(() => page.getByRole('heading', { name: 'Runs', level: 1 }).isVisible()).toBe(true);
    // The session is an httpOnly cookie the page cannot read.
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'mf_session')).toMatchObject({ httpOnly: true });
    expect(await page.evaluate('document.cookie')).not.toContain('mf_session');
  });

  it('follows a run from the stream alone: statuses from the event catalog, no request per event, and a cancel reason', async () => {
    // No worker yet: the test writes the run's timeline itself (append to PostgreSQL, then publish), as
    // the worker and the repair loop do, so each status the page shows can be checked in turn.
    const started = await api('POST', `/api/v1/automations/${brokenAutomationId}/runs`, { input: {} });
    expect(started.status).toBe(202);
    const runId = started.body.id as string;
    const me = await api('GET', '/api/v1/me');
    const workspaceId = me.body.workspace.id as string;
    const append = async (type: string, data: Record<string, unknown>) => {
      const event = await execution.appendEvent(workspaceId, runId, type, data);
      if (!event) throw new Error('run not found');
      publisher.publishRunEvent({ ...event, automationId: brokenAutomationId });
    };

    await page.goto(`${web.url}/runs/${runId}`);
    await poll(statusText).toBe('Queued');
    await poll(() => page.getByTestId('live-indicator').getAttribute('data-state')).toBe('connected');
    await poll(() => page.getByTestId('timeline').getAttribute('data-settled')).toBe('true');
    await page.waitForTimeout(500); // let the first reads finish
    const failure = {
      attempt: 1,
      error: { name: 'TypeError', message: 'rows is undefined' },
      classification: { class: 'logic', reason: 'a bug in the script' },
    };

    await append('run.running', { attempt: 1 });
    await poll(statusText).toBe('Running');
    // A lost worker's attempt is abandoned: the run is queued again (the page used to keep "Running").
    await append('attempt.abandoned', { attempt: 1, reason: 'the worker stopped' });
    await poll(statusText).toBe('Queued');
    await append('run.running', { attempt: 2 });
    await poll(statusText).toBe('Running');
    await append('run.repairing', { ...failure, attempt: 2, repairId: 'r1', provider: 'stub' });
    await poll(statusText).toBe('Repairing');
    await page.waitForTimeout(600); // the debounced reads after the transitions above
    const titles = () => page.getByTestId('timeline-title').allInnerTexts();

    // Progress events change no status: none of them costs a request.
    const before = apiRequests.length;
    const N = 20;
    for (let i = 0; i < N; i += 1) {
      await append('repair.proposed', { repairId: 'r1', provider: 'stub', model: `m${i}` });
    }
    await poll(async () => (await titles()).filter((t) => t.startsWith('Repair proposed')).length).toBe(N);
    await page.waitForTimeout(600);
    const duringProgress = apiRequests.slice(before);
    // A deployed repair resumes the run: queued again (the page used to keep "Repairing").
    await append('repair.deployed', { repairId: 'r1', version: 2 });
    await poll(statusText).toBe('Queued');
    await page.waitForTimeout(600);
    const duringRun = apiRequests.slice(before);
    console.log(
      `requests while ${N + 1} live events arrived: ${duringRun.length} (${duringRun.join(', ') || 'none'})`,
    );
    expect(duringProgress).toEqual([]);
    expect(duringRun.filter((r) => r.includes('/events'))).toEqual([]);
    expect(duringRun.length).toBeLessThanOrEqual(2); // the run and its logs, read again once it rested
    expect(await titles()).toEqual(
      expect.arrayContaining(['Attempt 1 started', 'Attempt 1 abandoned, queued again: the worker stopped']),
    );

    // Cancel with a reason: sent, recorded in the run.cancelled event, shown in the timeline.
    await page.getByTestId('cancel-run').click();
    await page.getByTestId('cancel-reason').fill('Wrong customer list');
    await page.getByTestId('cancel-run-confirm').click();
    await poll(statusText).toBe('Cancelled');
    await poll(async () => (await titles()).at(-1)).toMatch(
      /^Cancelled by user [0-9a-f]{8}: Wrong customer list$/,
    );
    const events = await api('GET', `/api/v1/runs/${runId}/events`);
    expect(events.body.items.at(-1)).toMatchObject({
      type: 'run.cancelled',
      data: { reason: 'Wrong customer list' },
    });
    const refused = await api('POST', `/api/v1/runs/${runId}/cancel`, { reason: 'x'.repeat(501) });
    expect(refused.status).toBe(400);

    // A reload shows the same.
    await page.reload();
    await poll(statusText).toBe('Cancelled');
    await poll(async () => (await titles()).length).toBe(N + 7);
  });

  it('runs an automation from the UI and shows queued → running → succeeded live, the same after a reload', async () => {
    await page.goto(`${web.url}/automations`);
    const row = page.locator(`[data-testid=automation-row][data-automation-id="${slowAutomationId}"]`);
    await row.getByTestId('run-now').click();
    const input = page.getByTestId('run-input');
    await input.fill('{ "who": ');
    await input.blur();
    await poll(() => page.getByTestId('run-now-submit').isDisabled()).toBe(true); // invalid JSON
    await input.fill('{ "who": "e2e" }');
    await page.getByTestId('run-now-submit').click();

    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    liveRunId = page.url().split('/').pop()!;
    await page.evaluate('window.__noReload = true');
    await poll(statusText).toBe('Queued');
    // The live connection goes through the web server's proxy, upgraded to a WebSocket.
    await poll(() => page.getByTestId('live-indicator').getAttribute('data-state')).toBe('connected');

    const worker = await stack.startWorker();
    expect(worker.child.pid).toBeGreaterThan(0);
    await poll(statusText, 30_000).toBe('Succeeded');

    const stored = await api('GET', `/api/v1/runs/${liveRunId}`);
    expect(stored.body).toMatchObject({
      status: 'succeeded',
      trigger: 'manual',
      input: { who: 'e2e' },
      output: { sent: 3, who: 'e2e' },
    });
    const seen = await seenStatuses(page);
    const noReload = await page.evaluate('window.__noReload');
    console.log(`run status badge showed: ${seen.join(' → ')}`);
    expect(noReload).toBe(true);
    expect(seen.slice(-3)).toEqual(['Queued', 'Running', 'Succeeded']);
    expect(
      websockets.some((url) => url.startsWith(web.url.replace('http', 'ws')) && url.includes('/socket.io/')),
    ).toBe(true);

    const types = () =>
      page.getByTestId('timeline-event').evaluateAll((els) => els.map((el) => el.getAttribute('data-type')));
    await poll(types).toEqual(['run.queued', 'run.running', 'run.succeeded']);
    await poll(() => page.getByTestId('run-output').innerText()).toContain('"sent": 3');
    await poll(() => page.getByTestId('logs').innerText()).toContain('fetched CRM leads');
    // The timeline is read over HTTP once, then only streamed; gap-free, it shows what a reload shows.
    await poll(() => page.getByTestId('timeline').getAttribute('data-settled')).toBe('true');
    const live = await page.getByTestId('timeline').innerText();

    await page.reload();
    await poll(statusText).toBe('Succeeded');
    await poll(types).toEqual(['run.queued', 'run.running', 'run.succeeded']);
    expect(await page.getByTestId('timeline').innerText()).toBe(live);
    await shot('run');
  });

  it('shows a failed run with its classification and reason', async () => {
    const started = await api('POST', `/api/v1/automations/${brokenAutomationId}/runs`, { input: {} });
    expect(started.status).toBe(202);
    failedRunId = started.body.id;
    const run = await waitForRun(api, failedRunId);
    expect(run.status).toBe('action_needed');

    await page.goto(`${web.url}/runs/${failedRunId}`);
    await poll(statusText).toBe('Action needed');
    const classification = page.getByTestId('why-stopped').getByTestId('classification');
    await poll(() => classification.getByTestId('failure-class').getAttribute('data-class')).toBe('logic');
    const reason = await classification.getByTestId('classification-reason').innerText();
    expect(reason).toMatch(/rows/);
    expect(await page.getByTestId('why-stopped').innerText()).toContain('TypeError');
    await poll(() =>
      page.getByTestId('timeline-event').evaluateAll((els) => els.map((el) => el.getAttribute('data-type'))),
    ).toContain('run.action_needed');
    await shot('run-failed');
  });

  it('resolves an inbox item, which leaves the open list', async () => {
    await page.goto(`${web.url}/inbox`);
    const item = page.locator(`[data-testid=inbox-item][data-run-id="${failedRunId}"]`);
    await poll(() => item.count()).toBe(1);
    await poll(() => item.getByTestId('inbox-reason').innerText()).toMatch(/rows/);
    await shot('inbox');

    await item.getByTestId('inbox-action-cancel').click();
    await page.getByTestId('inbox-confirm').click();
    await poll(() => item.count()).toBe(0);
    const open = await api('GET', `/api/v1/inbox?status=open&runId=${failedRunId}`);
    expect(open.body.items).toEqual([]);
    expect((await api('GET', `/api/v1/runs/${failedRunId}`)).body.status).toBe('cancelled');

    // The run page shows the resolution in its timeline.
    await page.goto(`${web.url}/runs/${failedRunId}`);
    await poll(statusText).toBe('Cancelled');
    await poll(() =>
      page.getByTestId('timeline-event').evaluateAll((els) => els.map((el) => el.getAttribute('data-type'))),
    ).toEqual(expect.arrayContaining(['inbox.resolved', 'run.cancelled']));
  });

  it('shows every page, at laptop and phone widths', async () => {
    const pages: [string, string, () => Promise<unknown>][] = [
      ['overview', '/', () => poll(() => page.getByText('Runs per hour by outcome').isVisible()).toBe(true)],
      ['automations', '/automations', () => poll(() => page.getByTestId('automation-row').count()).toBe(2)],
      [
        'automation',
        `/automations/${slowAutomationId}`,
        () => poll(() => page.getByTestId('version-item').count()).toBe(2),
      ],
      ['runs', '/runs', () => poll(() => page.getByTestId('run-row').count()).toBe(3)],
      ['settings', '/settings', () => poll(() => page.getByTestId('api-keys').isVisible()).toBe(true)],
    ];
    for (const [name, route, ready] of pages) {
      await page.goto(`${web.url}${route}`);
      await ready();
      await shot(name);
    }
    // The automation page shows the diff between v1 and v2, made by a person.
    await page.goto(`${web.url}/automations/${slowAutomationId}`);
    await poll(() => page.getByTestId('diff').first().innerText()).toContain(
      "+  ctx.log.info('fetched CRM leads'",
    );
    expect(await page.getByTestId('author-badge').first().getAttribute('data-kind')).toBe('user');

    await page.setViewportSize(PHONE);
    await page.goto(`${web.url}/`);
    await poll(() => page.getByText('Runs per hour by outcome').isVisible()).toBe(true);
    // The navigation sits behind the burger on a phone: off screen and out of the tab order until opened.
    const navLink = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Automations' });
    const navRight = () => navLink.evaluate((el) => el.getBoundingClientRect().right);
    await poll(navRight).toBeLessThanOrEqual(0);
    await shot('overview-phone');
    await page.getByRole('button', { name: 'Toggle navigation' }).click();
    await poll(navRight).toBeGreaterThan(0);
    await navLink.click();
    await page.waitForURL(`${web.url}/automations`);
    await page.setViewportSize(LAPTOP);

    expect(pageErrors).toEqual([]);
    // Every page above ran under the CSP (nonce'd scripts and style tags) without anything refused.
    expect(await page.evaluate('window.__cspViolations ?? []')).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
