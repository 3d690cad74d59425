import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from './support/client';
import { ADMIN, type Stack, startStack } from './support/stack';
import { launchChromium, startWeb, type WebServer } from './support/web';

// Teams in a real browser (Debian's Chromium against `next start` and the API): an owner invites from
// Settings, the invitee opens the link in another browser, sets a password and lands in the workspace
// as a viewer who is shown no write controls; the owner creates and switches workspaces from the header
// and reads the audit log. Screenshots land in artifacts/screenshots/.

const SHOTS = path.join(process.cwd(), 'artifacts', 'screenshots');
const LAPTOP = { width: 1440, height: 900 };

let stack: Stack;
let web: WebServer;
let browser: Browser;
let owner: Page;
const pageErrors: string[] = [];
let inviteLink = '';

const poll = <T>(fn: () => Promise<T> | T, timeout = 10_000) => expect.poll(fn, { timeout, interval: 50 });

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: LAPTOP, reducedMotion: 'reduce' });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return page;
}

async function shot(page: Page, name: string) {
  await page.mouse.move(0, 0);
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  stack = await startStack('teams_dashboard', { redisDb: 6, worker: false });
  const created = await apiClient(stack.apiUrl)('POST', '/api/v1/automations', {
    name: 'Weekly digest',
    source: 'export default async function run() { return { ok: true }; }',
  });
  expect(created.status).toBe(201);
  web = await startWeb(stack.apiUrl);
  browser = await launchChromium();
  owner = await newPage();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await stack?.stop();
});

describe('teams in the dashboard', () => {
  it('invites a viewer from Settings and shows the link once', async () => {
    await owner.goto(`${web.url}/login`);
    await owner.locator('input[name=email]').fill(ADMIN.email);
    await owner.locator('input[name=password]').fill(ADMIN.password);
    await owner.getByRole('button', { name: 'Sign in' }).click();
    await owner.waitForURL(`${web.url}/`);

    await owner.goto(`${web.url}/settings`);
    await poll(() => owner.getByTestId('member-row').count()).toBe(1);
    const form = owner.getByRole('form', { name: 'Invite a member' });
    await form.getByLabel('Email').fill('viewer@browser.test');
    await form.getByLabel('Role', { exact: true }).click();
    await owner.getByRole('option', { name: 'Viewer' }).click();
    await form.getByRole('button', { name: 'Invite' }).click();
    inviteLink = (await owner.getByTestId('invitation-link').innerText()).trim();
    expect(inviteLink).toMatch(new RegExp(`^${web.url}/invite#token=mfi_[\\w-]{43}$`));
    await shot(owner, 'teams-invitation-link');
    await owner.getByRole('button', { name: 'Done' }).click();
    await poll(() => owner.getByTestId('invitation-row').count()).toBe(1);
  });

  it('lets the invitee set a password and land in the workspace as a viewer without write controls', async () => {
    const invitee = await newPage();
    await invitee.goto(inviteLink);
    await poll(() => invitee.getByRole('heading', { name: 'Join Default workspace' }).isVisible()).toBe(true);
    await shot(invitee, 'teams-invite-accept');
    await invitee.locator('input[name=password]').fill('viewer password 1');
    await invitee.locator('input[name=repeat]').fill('viewer password 1');
    await invitee.getByRole('button', { name: 'Join Default workspace' }).click();
    await invitee.waitForURL(`${web.url}/`);
    await poll(() => invitee.getByTestId('workspace-switcher').innerText()).toContain('Default workspace');

    await invitee.goto(`${web.url}/automations`);
    await poll(() => invitee.getByTestId('automation-row').count()).toBe(1);
    expect(await invitee.getByRole('button', { name: /New automation/ }).count()).toBe(0);
    expect(await invitee.getByRole('button', { name: /Run now/ }).count()).toBe(0);
    const nav = invitee.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    await invitee.goto(`${web.url}/settings`);
    await poll(() => invitee.getByTestId('member-row').count()).toBe(2);
    expect(await invitee.getByTestId('api-keys').count()).toBe(0);
    expect(await invitee.getByRole('form', { name: 'Invite a member' }).count()).toBe(0);
    // Retention is shown, not offered for change (owners only).
    await poll(() => invitee.getByTestId('retention-settings').innerText()).toContain(
      'Only an owner changes retention',
    );
    expect(await invitee.getByRole('form', { name: 'Retention settings' }).count()).toBe(0);

    // The same link does not work twice.
    await invitee.goto(`${web.url}/login`);
    const again = await newPage();
    await again.goto(inviteLink);
    await poll(() => again.getByText('Already accepted').isVisible()).toBe(true);
  });

  it('creates a workspace from the header and switches between workspaces', async () => {
    await owner.goto(`${web.url}/`);
    await owner.getByTestId('workspace-switcher').click();
    await owner.getByRole('menuitem', { name: 'Create a workspace' }).click();
    await owner.getByRole('dialog').getByLabel('Name').fill('Browser lab');
    await owner.getByRole('button', { name: 'Create and open' }).click();
    await poll(() => owner.getByTestId('workspace-switcher').innerText()).toContain('Browser lab');
    await owner.goto(`${web.url}/automations`);
    await poll(() => owner.getByText('No automations yet').isVisible()).toBe(true);

    await owner.getByTestId('workspace-switcher').click();
    await poll(() => owner.getByTestId('workspace-option').count()).toBe(2);
    await shot(owner, 'teams-workspace-switcher');
    await owner.getByTestId('workspace-option').filter({ hasText: 'Default workspace' }).click();
    await poll(() => owner.getByTestId('workspace-switcher').innerText()).toContain('Default workspace');

    // On a phone the switcher fits the header next to the burger, without a horizontal scroll.
    await owner.setViewportSize({ width: 390, height: 844 });
    await owner.goto(`${web.url}/`);
    await poll(() => owner.getByTestId('workspace-switcher').isVisible()).toBe(true);
    expect(await owner.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    const menu = await owner.getByTestId('account-menu').boundingBox();
    expect(menu && menu.x + menu.width).toBeLessThanOrEqual(390);
    await shot(owner, 'teams-header-phone');
    await owner.setViewportSize(LAPTOP);
  });

  it('shows the audit log with filters', async () => {
    await owner.goto(`${web.url}/audit`);
    await poll(() => owner.getByTestId('audit-row').count()).toBeGreaterThan(2);
    const actions = await owner
      .getByTestId('audit-row')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    expect(actions).toEqual(
      expect.arrayContaining(['automation.deployed', 'member.invited', 'member.joined']),
    );
    await shot(owner, 'teams-audit');
    await owner.goto(`${web.url}/audit?action=${encodeURIComponent('member.*')}`);
    await poll(async () =>
      (
        await owner
          .getByTestId('audit-row')
          .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')))
      ).every((a) => a?.startsWith('member.')),
    ).toBe(true);
    await poll(() => owner.getByTestId('audit-row').count()).toBe(2);
  });

  it('sets retention in Settings, naming a bad value under its field', async () => {
    await owner.goto(`${web.url}/settings`);
    const form = owner.getByRole('form', { name: 'Retention settings' });
    const days = form.getByLabel('Keep runs for (days)');
    await poll(() => days.inputValue()).toBe('30');
    await days.fill('0');
    await form.getByRole('button', { name: 'Save retention' }).click();
    await poll(() => form.getByText('must be at least 1').isVisible()).toBe(true);

    await days.fill('7');
    await form.getByLabel('Always keep the last (runs per automation)').fill('20');
    const audit = form.getByLabel('Keep audit entries for (days)');
    await audit.fill('3');
    await form.getByRole('button', { name: 'Save retention' }).click();
    await poll(() => form.getByText('must be at least runRetentionDays').isVisible()).toBe(true);

    await audit.fill('90');
    await form.getByRole('button', { name: 'Save retention' }).click();
    await poll(() => owner.getByText('Retention saved').isVisible()).toBe(true);
    await shot(owner, 'settings-retention');
    const saved = await apiClient(stack.apiUrl)('GET', '/api/v1/workspaces/current/retention');
    expect(saved.body).toMatchObject({
      runRetentionDays: 7,
      keepRunsPerAutomation: 20,
      auditRetentionDays: 90,
    });
    await owner.reload();
    await poll(() =>
      owner.getByRole('form', { name: 'Retention settings' }).getByLabel('Keep runs for (days)').inputValue(),
    ).toBe('7');
    expect(pageErrors).toEqual([]);
  });
});
