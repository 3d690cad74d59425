import { createServer, type Server } from 'node:http';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DB, type Db } from '@mendflow/db';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-config';
import { WorkerMetrics } from './worker-metrics';

/** The worker serves no API; this tiny server lets an orchestrator probe it (GET /healthz) and Prometheus scrape it (GET /metrics). */
@Injectable()
export class WorkerHealthServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WorkerHealth');
  private server?: Server;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(DB) private readonly db: Db,
    private readonly metrics: WorkerMetrics,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.WORKER_HEALTH_PORT) return;
    this.server = createServer((request, response) => {
      if (request.url === '/metrics') {
        this.metrics.registry
          .metrics()
          .then((text) =>
            response.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(text),
          )
          .catch(() => response.writeHead(500).end());
        return;
      }
      if (request.url !== '/healthz') {
        response.writeHead(404).end();
        return;
      }
      this.db.$queryRaw`SELECT 1`
        .then(() => response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}'))
        .catch(() =>
          response.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"unavailable"}'),
        );
    });
    this.server.listen(this.config.WORKER_HEALTH_PORT, () =>
      this.logger.log(`health endpoint on :${this.config.WORKER_HEALTH_PORT}/healthz`),
    );
  }

  onApplicationShutdown(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
