import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from './output';
import { runCli } from './program';

// The bundle endpoints' contract (GET /api/v1/automations/{id}/bundle, POST /api/v1/automations/import)
// served by a small HTTP server, to check what the CLI sends and how it reports a refusal.
const ID = '0b6c6f0e-0c55-4a59-9d7a-4b7f5e0c8a11';
const BUNDLE = { format: 'mendflow.bundle/1', automation: { name: 'greet' }, signature: 'sig' };
let server: Server;
let url: string;
const received: { method?: string; url?: string; auth?: string; body?: unknown }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      received.push({
        method: req.method,
        url: req.url,
        auth: req.headers.authorization,
        body: text ? JSON.parse(text) : undefined,
      });
      const send = (status: number, body: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.method === 'GET' && req.url === `/api/v1/automations/${ID}`) {
        return send(200, {
          id: ID,
          name: 'greet',
          status: 'active',
          latestVersion: 1,
          deployedVersion: null,
        });
      }
      if (req.method === 'GET' && req.url === `/api/v1/automations/${ID}/bundle`) return send(200, BUNDLE);
      if (req.method === 'POST' && req.url === '/api/v1/automations/import') {
        const body = JSON.parse(text) as { bundle: { signature: string }; name?: string };
        if (body.bundle.signature !== 'sig') {
          return send(400, {
            error: { code: 'BUNDLE_SIGNATURE_INVALID', message: 'the signature does not verify' },
          });
        }
        return send(201, { id: ID, name: body.name ?? 'greet', deployedVersion: { number: 1 } });
      }
      send(404, { error: { code: 'NOT_FOUND', message: 'no such route' } });
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => void server.close());

async function cli(args: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env: { HOME: cwd, MENDFLOW_API_URL: url, MENDFLOW_API_KEY: 'mf_bundle_spec' },
    stdin: new PassThrough(),
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    cwd,
  });
  return { code, stdout, stderr };
}

describe('export and import', () => {
  it('exports the bundle to a file and imports it under a new name', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mendflow-bundle-'));
    const exported = await cli(['export', ID, '-o', 'greet.bundle.json'], cwd);
    expect(exported.code, exported.stderr).toBe(EXIT.ok);
    expect(JSON.parse(readFileSync(join(cwd, 'greet.bundle.json'), 'utf8'))).toEqual(BUNDLE);
    const imported = await cli(['import', 'greet.bundle.json', '--name', 'greet-copy', '--json'], cwd);
    expect(imported.code, imported.stdout).toBe(EXIT.ok);
    expect(JSON.parse(imported.stdout)).toMatchObject({ name: 'greet-copy' });
    expect(received.at(-1)).toEqual({
      method: 'POST',
      url: '/api/v1/automations/import',
      auth: 'Bearer mf_bundle_spec',
      body: { bundle: BUNDLE, name: 'greet-copy' },
    });
  });

  it('reports a refused bundle with its code and exit 1', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mendflow-bundle-'));
    writeFileSync(join(cwd, 'tampered.json'), JSON.stringify({ ...BUNDLE, signature: 'forged' }));
    const refused = await cli(['import', 'tampered.json', '--json'], cwd);
    expect(refused.code).toBe(EXIT.failed);
    expect(JSON.parse(refused.stdout)).toMatchObject({ error: { code: 'BUNDLE_SIGNATURE_INVALID' } });
    writeFileSync(join(cwd, 'not-json.json'), 'nope');
    expect((await cli(['import', 'not-json.json'], cwd)).code).toBe(EXIT.usage);
  });
});
