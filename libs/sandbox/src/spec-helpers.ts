/** Shared by the sandbox's specs (excluded from the build). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultManifest, type Manifest } from '@mendflow/common';
import { createMemoryHost } from './memory-host';
import type { AttemptRequest, HostServices } from './types';

export const RUN = { id: 'run-1', attempt: 1, automationId: 'auto-1', version: 1, trigger: 'manual' };

export interface ManifestOverrides {
  hosts?: string[];
  secrets?: string[];
  limits?: Partial<Manifest['limits']>;
}

export function manifest(overrides: ManifestOverrides = {}): Manifest {
  const base = defaultManifest();
  return {
    ...base,
    permissions: { hosts: overrides.hosts ?? [], secrets: overrides.secrets ?? [] },
    limits: { ...base.limits, ...overrides.limits },
  };
}

export function request(
  source: string,
  options: ManifestOverrides & { input?: unknown; host?: HostServices } & Partial<
      Omit<AttemptRequest, 'manifest' | 'host'>
    > = {},
): AttemptRequest {
  const { hosts, secrets, limits, host, input, ...rest } = options;
  return {
    source,
    input: input ?? {},
    run: RUN,
    manifest: manifest({ hosts, secrets, limits }),
    host: host ?? createMemoryHost(),
    ...rest,
  };
}

/** An ES module whose default export is the given async function body, run(input, ctx). */
export function script(body: string): string {
  return `export default async function run(input, ctx) {\n${body}\n}\n`;
}

export interface TestServer {
  port: number;
  url: string;
  hits: string[];
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 only, recording the path of every request it gets. */
export async function startServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<TestServer> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
  });
}
