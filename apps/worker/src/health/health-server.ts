import { createServer, type Server } from 'node:http';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DB, type Db } from '@mendflow/db';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-config';

/** The worker serves no API; this tiny endpoint lets an orchestrator probe it (GET /healthz). */
@Injectable()
export class WorkerHealthServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WorkerHealth');
  private server?: Server;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(DB) private readonly db: Db,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.WORKER_HEALTH_PORT) return;
    this.server = createServer((request, response) => {
      if (request.url !== '/healthz') {
        response.writeHead(404).end();
        return;
      }
      this.db.$queryRaw`SELECT 1`
        .then(() => response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}'))
        .catch(() => response.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"unavailable"}'));
    });
    this.server.listen(this.config.WORKER_HEALTH_PORT, () =>
      this.logger.log(`health endpoint on :${this.config.WORKER_HEALTH_PORT}/healthz`),
    );
  }

  onApplicationShutdown(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
