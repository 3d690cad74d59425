import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DB, type Db } from '@mendflow/db';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-config';
import { type LifecycleState, probe, ProcessLifecycle } from '@mendflow/common';
import { EventLoopWatch } from './event-loop-watch';
import { checkSandbox, SANDBOX_HEALTH, type SandboxHealthSource } from './sandbox-health';
import { WorkerMetrics } from './worker-metrics';

const DB_CHECK_TIMEOUT_MS = 2000;

/** One check's verdict; `reason` says why it failed, and a check may add details for the reader. */
interface Check {
  ok: boolean;
  reason?: string;
}

/**
 * The worker serves no API; this tiny server lets an orchestrator probe it and Prometheus scrape it.
 * - GET /healthz, liveness: the event loop is not stalled and the sandbox pool is not wedged. Nothing
 *   outside the process counts: restarting workers because PostgreSQL is down would only add a
 *   restart loop to the outage.
 * - GET /readyz, readiness: booted, not draining, PostgreSQL answers and the sandbox pool serves.
 * - GET /metrics.
 * Each answers 200, or 503 with a JSON body saying which check failed and why.
 */
@Injectable()
export class WorkerHealthServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WorkerHealth');
  private readonly eventLoop: EventLoopWatch;
  private server?: Server;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(DB) private readonly db: Db,
    private readonly metrics: WorkerMetrics,
    @Inject(SANDBOX_HEALTH) private readonly sandbox: SandboxHealthSource,
    private readonly lifecycle: ProcessLifecycle,
  ) {
    this.eventLoop = new EventLoopWatch(config.WORKER_EVENT_LOOP_STALL_MS);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.WORKER_HEALTH_PORT) return;
    const port = await this.listen(this.config.WORKER_HEALTH_PORT);
    this.logger.log(`health endpoint on :${port} (/healthz, /readyz, /metrics)`);
  }

  /** Serves on `port` (0: any free one) and resolves with the port it got. */
  async listen(port: number): Promise<number> {
    this.eventLoop.start();
    this.server = createServer((request, response) => this.handle(request, response));
    this.server.listen(port);
    await once(this.server, 'listening');
    return (this.server.address() as AddressInfo).port;
  }

  onApplicationShutdown(): Promise<void> {
    this.eventLoop.stop();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  liveness(): Record<string, Check> {
    return { eventLoop: this.eventLoop.check(), sandbox: checkSandbox(this.sandbox) };
  }

  async readiness(): Promise<Record<string, Check>> {
    const state = this.lifecycle.state;
    const lifecycle: Check & { state: LifecycleState } = {
      ok: state === 'running',
      state,
      ...(state !== 'running' && {
        reason: state === 'starting' ? 'the worker is still starting' : 'the worker is shutting down',
      }),
    };
    const reachable = await probe(() => this.db.$queryRaw`SELECT 1`, DB_CHECK_TIMEOUT_MS);
    const postgres: Check = { ok: reachable, ...(!reachable && { reason: 'PostgreSQL does not answer' }) };
    return { lifecycle, postgres, sandbox: checkSandbox(this.sandbox) };
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const path = new URL(request.url ?? '/', 'http://worker').pathname;
    if (path === '/metrics') {
      this.metrics.registry
        .metrics()
        .then((text) =>
          response.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(text),
        )
        .catch(() => response.writeHead(500).end());
      return;
    }
    if (path === '/healthz') return verdict(response, this.liveness());
    if (path === '/readyz') {
      this.readiness()
        .then((checks) => verdict(response, checks))
        .catch(() => response.writeHead(500).end());
      return;
    }
    response.writeHead(404).end();
  }
}

function verdict(response: ServerResponse, checks: Record<string, Check>): void {
  const failed = Object.entries(checks).filter(([, check]) => !check.ok);
  const body = failed.length
    ? {
        status: 'unavailable',
        reason: failed.map(([name, check]) => `${name}: ${check.reason ?? 'failed'}`).join('; '),
        checks,
      }
    : { status: 'ok', checks };
  response
    .writeHead(failed.length ? 503 : 200, { 'content-type': 'application/json' })
    .end(JSON.stringify(body));
}
