import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Sandbox } from '@mendflow/sandbox';
import type { WorkerConfig } from '../config/worker-config';

/** One sandbox (isolate pool) per worker process, sized to the processor's concurrency. */
@Injectable()
export class SandboxHost implements OnApplicationShutdown {
  readonly sandbox: Sandbox;

  private readonly logger = new Logger('Sandbox');

  constructor(config: WorkerConfig) {
    this.sandbox = new Sandbox({
      poolSize: config.WORKER_CONCURRENCY,
      allowPrivateNetwork: config.ALLOW_PRIVATE_NETWORK,
      onHostError: (error, context) =>
        this.logger.warn(
          `host service ${context.op} failed for run ${context.runId}: ${(error as Error).message}`,
        ),
      // isolated-vm's advice: after a catastrophic error the process state is unknown; exit and let the
      // orchestrator restart it. The run's job is redelivered and its attempt marked abandoned.
      onCatastrophicError: (message) => {
        this.logger.fatal(`isolated-vm catastrophic error, exiting: ${message}`);
        process.exit(70);
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sandbox.close();
  }
}
