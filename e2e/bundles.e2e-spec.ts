import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeyPair, signBundle } from '../apps/api/src/bundles/bundle-signature';
import { type Api, apiClient, waitForRun } from './support/client';
import { BOOTSTRAP_KEY, type Stack, startStack } from './support/stack';
import { createWorkspace } from './support/workspaces';

// Signed bundles over HTTP against the real API, worker, PostgreSQL and Redis: workspace A exports an
// automation, workspace B refuses it until it trusts A's key, then imports it and runs it; a changed
// bundle fails its signature; A imports its own bundles without trusting anything; a viewer may not
// import. Nothing is created by a refused import.

let stack: Stack;
let a: Api;
let b: Api;
let bViewer: Api;
let bundle: any;
let aKey: { publicKey: string; fingerprint: string };

const SOURCE = 'export default async function run(input) { return { greeting: `hello ${input.who}` }; }';

async function names(api: Api): Promise<string[]> {
  const page = await api('GET', '/api/v1/automations?limit=100');
  expect(page.status).toBe(200);
  return page.body.items.map((item: { name: string }) => item.name);
}

beforeAll(async () => {
  stack = await startStack('bundles', { redisDb: 4 });
  a = apiClient(stack.apiUrl, BOOTSTRAP_KEY);
  const workspaceB = await createWorkspace(stack.apiUrl, 'Bundles B');
  b = apiClient(stack.apiUrl, workspaceB.apiKey);
  const viewerKey = await b('POST', '/api/v1/api-keys', { name: 'viewer', role: 'viewer' });
  expect(viewerKey.status, JSON.stringify(viewerKey.body)).toBe(201);
  bViewer = apiClient(stack.apiUrl, viewerKey.body.key);

  const created = await a('POST', '/api/v1/automations', {
    name: 'greeter',
    description: 'Says hello',
    source: SOURCE,
    manifest: { limits: { timeoutMs: 10_000 } },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('export', () => {
  it("downloads the deployed version signed with the workspace's key", async () => {
    const { body: list } = await a('GET', '/api/v1/automations');
    const id = list.items.find((item: { name: string }) => item.name === 'greeter').id;
    const response = await fetch(`${stack.apiUrl}/api/v1/automations/${id}/bundle`, {
      headers: { authorization: `Bearer ${BOOTSTRAP_KEY}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toContain('filename="greeter.mendflow.json"');
    bundle = await response.json();

    const key = await a('GET', '/api/v1/signing-key');
    expect(key.status).toBe(200);
    expect(key.body).toEqual({
      algorithm: 'ed25519',
      publicKey: expect.stringMatching(/^[A-Za-z0-9+/]{59}=$/),
      fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      createdAt: expect.any(String),
    });
    aKey = key.body;
    expect(bundle).toMatchObject({
      format: 'mendflow.bundle/v1',
      automation: { name: 'greeter', description: 'Says hello', source: SOURCE, version: 1 },
      publisher: {
        workspaceName: expect.any(String),
        publicKey: aKey.publicKey,
        fingerprint: aKey.fingerprint,
      },
      signature: expect.any(String),
    });
    expect(bundle.automation.manifest.limits.timeoutMs).toBe(10_000);
    // The key stays the same from one use to the next; the private half is never served.
    expect((await a('GET', '/api/v1/signing-key')).body).toEqual(aKey);
    expect(JSON.stringify(bundle)).not.toMatch(/PRIVATE KEY/);
  });

  it('answers 404 for an automation of another workspace', async () => {
    const { body: list } = await a('GET', '/api/v1/automations');
    const answer = await b('GET', `/api/v1/automations/${list.items[0].id}/bundle`);
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('AUTOMATION_NOT_FOUND');
  });
});

describe('import into another workspace', () => {
  it('is refused BUNDLE_PUBLISHER_UNTRUSTED, naming the fingerprint, while B does not trust A', async () => {
    const answer = await b('POST', '/api/v1/automations/import', { bundle });
    expect(answer.status, JSON.stringify(answer.body)).toBe(403);
    expect(answer.body.error).toMatchObject({
      code: 'BUNDLE_PUBLISHER_UNTRUSTED',
      message: expect.stringContaining(aKey.fingerprint),
      details: { fingerprint: aKey.fingerprint, publicKey: aKey.publicKey },
    });
    expect(await names(b)).not.toContain('greeter');
  });

  it('lets an admin trust a key once, checking it is an Ed25519 public key', async () => {
    const bad = await b('POST', '/api/v1/trusted-publishers', { name: 'A', publicKey: 'bm90IGEga2V5' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { issues: [{ path: 'publicKey', message: expect.stringContaining('Ed25519') }] },
    });
    expect(
      (await bViewer('POST', '/api/v1/trusted-publishers', { name: 'A', publicKey: aKey.publicKey })).status,
    ).toBe(403);

    const trusted = await b('POST', '/api/v1/trusted-publishers', {
      name: 'Workspace A',
      publicKey: aKey.publicKey,
    });
    expect(trusted.status, JSON.stringify(trusted.body)).toBe(201);
    expect(trusted.body).toMatchObject({
      name: 'Workspace A',
      publicKey: aKey.publicKey,
      fingerprint: aKey.fingerprint,
    });
    const again = await b('POST', '/api/v1/trusted-publishers', { name: 'Again', publicKey: aKey.publicKey });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('PUBLISHER_ALREADY_TRUSTED');
    const own = await a('POST', '/api/v1/trusted-publishers', { name: 'Me', publicKey: aKey.publicKey });
    expect(own.status).toBe(409);

    const list = await bViewer('GET', '/api/v1/trusted-publishers');
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([trusted.body]);
  });

  it('a viewer cannot import', async () => {
    const answer = await bViewer('POST', '/api/v1/automations/import', { bundle });
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('FORBIDDEN');
    expect(await names(b)).not.toContain('greeter');
  });

  it('is refused BUNDLE_SIGNATURE_INVALID when the source was changed after signing', async () => {
    const tampered = structuredClone(bundle);
    tampered.automation.source = SOURCE.replace('hello', 'pwned');
    const answer = await b('POST', '/api/v1/automations/import', { bundle: tampered });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'BUNDLE_SIGNATURE_INVALID' });
    expect(await names(b)).not.toContain('greeter');
  });

  it('is refused BUNDLE_INVALID, naming the field, for a bundle of an unknown format', async () => {
    const answer = await b('POST', '/api/v1/automations/import', {
      bundle: { ...bundle, format: 'other/v9' },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({
      code: 'BUNDLE_INVALID',
      details: { issues: [{ path: 'bundle.format' }] },
    });
    const missing = await b('POST', '/api/v1/automations/import', {});
    expect(missing.status).toBe(400);
  });

  it("refuses a bundle re-signed by another key, whether it claims the trusted key's fingerprint or its own", async () => {
    const forger = generateSigningKeyPair();
    const { signature: _signature, ...unsigned } = bundle;
    const posing = signBundle(
      { ...unsigned, publisher: { ...unsigned.publisher, publicKey: forger.publicKey } },
      forger.privateKeyPem,
    );
    const claimed = await b('POST', '/api/v1/automations/import', { bundle: posing });
    expect(claimed.status).toBe(400);
    expect(claimed.body.error).toMatchObject({
      code: 'BUNDLE_INVALID',
      details: { issues: [{ path: 'bundle.publisher.fingerprint' }] },
    });
    const honest = signBundle(
      {
        ...unsigned,
        publisher: { ...unsigned.publisher, publicKey: forger.publicKey, fingerprint: forger.fingerprint },
      },
      forger.privateKeyPem,
    );
    const untrusted = await b('POST', '/api/v1/automations/import', { bundle: honest });
    expect(untrusted.status).toBe(403);
    expect(untrusted.body.error).toMatchObject({
      code: 'BUNDLE_PUBLISHER_UNTRUSTED',
      details: { fingerprint: forger.fingerprint },
    });
    expect(await names(b)).not.toContain('greeter');
  });

  it('succeeds once trusted: deployed as version 1, and the automation runs', async () => {
    const answer = await b('POST', '/api/v1/automations/import', { bundle });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(answer.body).toMatchObject({
      name: 'greeter',
      description: 'Says hello',
      status: 'active',
      latestVersion: 1,
      deployedVersion: { number: 1, source: SOURCE, manifest: { limits: { timeoutMs: 10_000 } } },
    });
    const started = await b('POST', `/api/v1/automations/${answer.body.id}/runs`, { input: { who: 'B' } });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const run = await waitForRun(b, started.body.id);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ greeting: 'hello B' });

    const audit = await b('GET', '/api/v1/audit?limit=100');
    const actions = audit.body.items.map((entry: { action: string }) => entry.action);
    expect(actions).toEqual(expect.arrayContaining(['trusted_publisher.added', 'automation.imported']));
    const imported = audit.body.items.find(
      (entry: { action: string }) => entry.action === 'automation.imported',
    );
    expect(imported.data).toMatchObject({ publisherFingerprint: aKey.fingerprint, trustedAs: 'publisher' });
  });

  it('a second import of the same bundle clashes on the name, unless given another', async () => {
    const clash = await b('POST', '/api/v1/automations/import', { bundle });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('AUTOMATION_NAME_TAKEN');
    const renamed = await b('POST', '/api/v1/automations/import', { bundle, name: 'greeter (A)' });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(201);
    expect(renamed.body.name).toBe('greeter (A)');
  });

  it('is refused again once the publisher is no longer trusted', async () => {
    const [publisher] = (await b('GET', '/api/v1/trusted-publishers')).body.items;
    expect((await b('DELETE', `/api/v1/trusted-publishers/${publisher.id}`)).status).toBe(204);
    expect((await b('DELETE', `/api/v1/trusted-publishers/${publisher.id}`)).status).toBe(404);
    const answer = await b('POST', '/api/v1/automations/import', { bundle, name: 'greeter again' });
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('BUNDLE_PUBLISHER_UNTRUSTED');
    const audit = await b('GET', '/api/v1/audit?limit=100');
    expect(audit.body.items.map((entry: { action: string }) => entry.action)).toContain(
      'trusted_publisher.removed',
    );
  });
});

describe('import into the publishing workspace', () => {
  it('works with its own key and nothing trusted', async () => {
    expect((await a('GET', '/api/v1/trusted-publishers')).body.items).toEqual([]);
    const answer = await a('POST', '/api/v1/automations/import', { bundle, name: 'greeter copy' });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(answer.body.deployedVersion).toMatchObject({ number: 1, source: SOURCE });
    const audit = await a('GET', '/api/v1/audit?limit=100');
    const imported = audit.body.items.find(
      (entry: { action: string }) => entry.action === 'automation.imported',
    );
    expect(imported.data).toMatchObject({ trustedAs: 'own', name: 'greeter copy' });
  });
});
