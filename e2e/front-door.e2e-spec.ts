import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN,
  freePort,
  type ManagedProcess,
  type Stack,
  startScript,
  startStack,
  waitFor,
} from './support/stack';
import { launchChromium, startWeb, type WebServer } from './support/web';

// The front door: security headers on the API and the web, the sign-in limits (in Redis, shared by API
// processes, per client address and per account, with TRUST_PROXY deciding whose X-Forwarded-For is
// believed) and the token on /metrics. Real processes: two APIs on one database and Redis, the built web
// app in front of the first, and Chromium for the dashboard's Content-Security-Policy.
//
// Addresses: Linux routes all of 127.0.0.0/8 to loopback, so a request can come from 127.0.0.x by binding
// its socket there (localAddress). The web server reaches the API from 127.0.0.1, so API "A" trusts
// exactly that address (TRUST_PROXY=127.0.0.1) and the tests talk to it directly from other addresses.
// API "B" runs with the defaults: no proxy trusted, /metrics off.

const METRICS_TOKEN = 'e2e-metrics-token-0123456789abcdef';

let stack: Stack;
let apiB: ManagedProcess;
let apiBUrl: string;
let web: WebServer;
let browser: Browser;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: any;
}

/** One HTTP request from `from` (a loopback address), raw headers kept. */
function send(
  base: string,
  method: string,
  path: string,
  options: { from?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const url = new URL(path, base);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        localAddress: options.from ?? '127.0.0.1',
        headers: { ...(payload && { 'content-type': 'application/json' }), ...options.headers },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => {
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : null;
          } catch {
            /* not JSON */
          }
          resolve({ status: response.statusCode!, headers: response.headers, body });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const login = (base: string, email: string, from: string, headers: Record<string, string> = {}) =>
  send(base, 'POST', '/api/v1/auth/login', { from, body: { email, password: 'a wrong guess' }, headers });

let rotating = 0;
/** A different made-up X-Forwarded-For on every call. */
const spoofed = () => ({ 'x-forwarded-for': `198.51.100.${(rotating++ % 250) + 1}` });

function expectRateLimited(answer: Answer, maxSeconds: number) {
  expect(answer.status).toBe(429);
  expect(answer.body).toEqual({
    error: {
      code: 'RATE_LIMITED',
      message: expect.stringMatching(/^too many sign-in attempts; try again in \d+ s$/),
      details: { retryAfterSeconds: expect.any(Number) },
    },
  });
  const retryAfter = answer.headers['retry-after'];
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(retryAfter)).toBeLessThanOrEqual(maxSeconds);
  expect(answer.body.error.details.retryAfterSeconds).toBe(Number(retryAfter));
}

beforeAll(async () => {
  stack = await startStack('front_door', {
    redisDb: 7,
    worker: false,
    apiEnv: { TRUST_PROXY: '127.0.0.1', METRICS_TOKEN },
  });
  const port = await freePort();
  apiBUrl = `http://127.0.0.1:${port}`;
  const { TRUST_PROXY: _trust, METRICS_TOKEN: _token, ...defaults } = stack.env;
  apiB = startScript('start:api', { ...defaults, PORT: String(port) });
  await waitFor(`${apiBUrl}/readyz`, apiB);
  web = await startWeb(stack.apiUrl);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await apiB?.stop();
  await stack?.stop();
});

describe('sign-in limits', () => {
  it('refuses the 11th failed sign-in from one client, across 13 different emails, with Retry-After', async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < 13; i++) answers.push(await login(apiBUrl, `spray-${i}@e2e.test`, '127.0.0.10'));
    expect(answers.map((a) => a.status)).toEqual([...Array(10).fill(401), 429, 429, 429]);
    for (const answer of answers.slice(10)) expectRateLimited(answer, 60);
    // Another client is not affected.
    expect((await login(apiBUrl, 'spray-0@e2e.test', '127.0.0.11')).status).toBe(401);
  });

  it('is not reset by a rotating X-Forwarded-For, whether no proxy is trusted or only another one', async () => {
    for (const [base, from] of [
      [apiBUrl, '127.0.0.12'], // TRUST_PROXY unset
      [stack.apiUrl, '127.0.0.13'], // TRUST_PROXY=127.0.0.1, and this client is not that
    ] as const) {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++)
        statuses.push((await login(base, `rotate-${i}@e2e.test`, from, spoofed())).status);
      expect(statuses, base).toEqual([...Array(10).fill(401), 429]);
    }
  });

  it('limits distinct clients behind the trusted web proxy separately, whatever they claim', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++)
      statuses.push((await login(web.url, `web-${i}@e2e.test`, '127.0.0.20', spoofed())).status);
    expect(statuses).toEqual([...Array(10).fill(401), 429]);
    // The API saw the web's X-Forwarded-For (the real 127.0.0.20), not the made-up ones: another real
    // client through the same proxy still gets its own budget.
    expect((await login(web.url, 'web-0@e2e.test', '127.0.0.21', spoofed())).status).toBe(401);
    expectRateLimited(await login(web.url, 'web-11@e2e.test', '127.0.0.20'), 60);
  });

  it('shares the limit between API processes (it lives in Redis)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const base = i % 2 === 0 ? stack.apiUrl : apiBUrl;
      statuses.push((await login(base, `shared-${i}@e2e.test`, '127.0.0.30')).status);
    }
    expect(statuses).toEqual(Array(10).fill(401));
    expectRateLimited(await login(stack.apiUrl, 'shared-10@e2e.test', '127.0.0.30'), 60);
    expectRateLimited(await login(apiBUrl, 'shared-11@e2e.test', '127.0.0.30'), 60);
  });

  it('counts a burst of parallel guesses before answering any of them', async () => {
    const answers = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        login(i % 2 === 0 ? stack.apiUrl : apiBUrl, `burst-${i}@e2e.test`, '127.0.0.35'),
      ),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([...Array(10).fill(401), ...Array(5).fill(429)]);
  });

  it('limits one account guessed from many clients, for up to 15 minutes', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++)
      statuses.push((await login(apiBUrl, 'victim@e2e.test', `127.0.1.${i + 1}`)).status);
    expect(statuses).toEqual(Array(10).fill(401));
    const refused = await login(stack.apiUrl, 'VICTIM@e2e.test ', '127.0.1.50');
    expectRateLimited(refused, 15 * 60);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(60);
  });

  it('does not count successful sign-ins, nor malformed ones', async () => {
    for (let i = 0; i < 12; i++) {
      const ok = await send(apiBUrl, 'POST', '/api/v1/auth/login', {
        from: '127.0.0.40',
        body: { email: ADMIN.email, password: ADMIN.password },
      });
      expect(ok.status).toBe(200);
      const malformed = await send(apiBUrl, 'POST', '/api/v1/auth/login', {
        from: '127.0.0.40',
        body: { email: 'x' },
      });
      expect(malformed.status).toBe(400);
    }
    expect((await login(apiBUrl, 'after@e2e.test', '127.0.0.40')).status).toBe(401);
  });
});

describe('/metrics', () => {
  it('answers only with the bearer token', async () => {
    const anonymous = await send(stack.apiUrl, 'GET', '/metrics');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({
      error: { code: 'UNAUTHENTICATED', message: 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>' },
    });
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    const wrong = await send(stack.apiUrl, 'GET', '/metrics', {
      headers: { authorization: `Bearer ${METRICS_TOKEN}x` },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('UNAUTHENTICATED');
    // Through the web's /api proxy there is no /metrics at all.
    expect((await send(web.url, 'GET', '/metrics')).body).not.toContain('mendflow_runs');

    const scraped = await send(stack.apiUrl, 'GET', '/metrics', {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(scraped.status).toBe(200);
    expect(scraped.headers['content-type']).toMatch(/^text\/plain/);
    expect(scraped.body).toContain('mendflow_http_requests_total');
  });

  it('is off (404) when no METRICS_TOKEN is set', async () => {
    const off = await send(apiBUrl, 'GET', '/metrics', {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(off.status).toBe(404);
    expect(off.body).toEqual({
      error: { code: 'METRICS_DISABLED', message: '/metrics is off: set METRICS_TOKEN to serve it' },
    });
  });
});

describe('security headers', () => {
  it('on the API: a strict CSP, nosniff, no framing, no referrer; HSTS only over HTTPS from a trusted proxy', async () => {
    const answer = await send(stack.apiUrl, 'GET', '/healthz', { from: '127.0.0.50' });
    expect(answer.headers).toMatchObject({
      'content-security-policy':
        "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cross-origin-resource-policy': 'same-origin',
    });
    expect(answer.headers['strict-transport-security']).toBeUndefined();
    expect(answer.headers['x-powered-by']).toBeUndefined();
    // Errors carry them too.
    expect((await send(stack.apiUrl, 'GET', '/api/v1/nothing-here')).headers['x-content-type-options']).toBe(
      'nosniff',
    );

    const untrusted = await send(stack.apiUrl, 'GET', '/healthz', {
      from: '127.0.0.50',
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(untrusted.headers['strict-transport-security']).toBeUndefined();
    const proxied = await send(stack.apiUrl, 'GET', '/healthz', {
      from: '127.0.0.1',
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(proxied.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    // The OpenAPI explorer gets the policy its own files need.
    const docs = await send(stack.apiUrl, 'GET', '/api/docs', { from: '127.0.0.50' });
    expect(docs.status).toBe(200);
    expect(docs.headers['content-security-policy']).toContain("script-src 'self'");
    expect(docs.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('on the web: a nonce CSP on pages, nosniff and the rest everywhere, and no internal address', async () => {
    const page = await send(web.url, 'GET', '/login', { headers: { 'x-forwarded-proto': 'https' } });
    expect(page.status).toBe(200);
    const csp = page.headers['content-security-policy'] as string;
    const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain(`script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`);
    expect(csp).not.toContain('upgrade-insecure-requests'); // the client's "https" is not believed
    expect(page.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'same-origin',
      'x-frame-options': 'DENY',
    });
    expect(page.headers['strict-transport-security']).toBeUndefined();
    // Every script tag of the page carries the nonce (Next.js's own included), and it is fresh each time.
    const scripts = [...(page.body as string).matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
    const again = await send(web.url, 'GET', '/login');
    expect(again.headers['content-security-policy']).not.toContain(nonce);

    const icon = await send(web.url, 'GET', '/icon.svg');
    expect(icon.headers['x-content-type-options']).toBe('nosniff');

    // /api is the API's answer with the API's headers; where it was fetched from stays inside.
    const me = await send(web.url, 'GET', '/api/v1/me');
    expect(me.status).toBe(401);
    expect(me.headers['x-middleware-rewrite']).toBeUndefined();
    expect(JSON.stringify(me.headers)).not.toContain(new URL(stack.apiUrl).host);
    expect(me.headers['content-security-policy']).toBe(
      "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'",
    );
  });

  it('renders the dashboard in Chromium without a CSP violation, Mantine styles applied', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => {
      (window.__violations ??= []).push(e.violatedDirective + ' ' + e.blockedURI);
    });`);
    await page.goto(`${web.url}/login`);
    await page.locator('input[name=email]').fill(ADMIN.email);
    await page.locator('input[name=password]').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${web.url}/`);
    await expect
      .poll(() => page.getByText('Runs per hour by outcome').isVisible(), { timeout: 15_000 })
      .toBe(true);
    // Mantine's nonce'd <style> (its CSS variables) applied, and its color-scheme script ran.
    const styled = await page.evaluate(`({
      mantineStyleTags: document.querySelectorAll('style[data-mantine-styles]').length,
      colorScheme: document.documentElement.getAttribute('data-mantine-color-scheme'),
      primary: getComputedStyle(document.documentElement).getPropertyValue('--mantine-primary-color-filled').trim(),
      violations: window.__violations ?? [],
    })`);
    expect(styled).toMatchObject({ colorScheme: expect.stringMatching(/^(light|dark)$/), violations: [] });
    expect((styled as { mantineStyleTags: number }).mantineStyleTags).toBeGreaterThan(0);
    expect((styled as { primary: string }).primary).not.toBe('');
    // The other pages too (their dropdowns and drawers add style tags at run time).
    for (const path of ['/automations', '/runs', '/inbox', '/settings']) {
      await page.goto(`${web.url}${path}`);
      await page.waitForLoadState('networkidle');
      expect(await page.evaluate('window.__violations ?? []'), path).toEqual([]);
    }
    // The OpenAPI explorer, under the API's policy for it.
    await page.goto(`${web.url}/api/docs`);
    await expect
      .poll(() => page.locator('.swagger-ui .info .title').first().isVisible(), { timeout: 15_000 })
      .toBe(true);
    await page.waitForLoadState('networkidle');
    expect(await page.evaluate('window.__violations ?? []'), '/api/docs').toEqual([]);
    expect(violations).toEqual([]);
    await context.close();
  });
});
