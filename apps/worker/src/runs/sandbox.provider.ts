import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Sandbox } from '@mendflow/sandbox';
import type { WorkerConfig } from '../config/worker-config';

/** One sandbox (isolate pool) per worker process, sized to the processor's concurrency. */
@Injectable()
export class SandboxHost implements OnApplicationShutdown {
  readonly sandbox: Sandbox;

  constructor(config: WorkerConfig) {
    this.sandbox = new Sandbox({
      poolSize: config.WORKER_CONCURRENCY,
      allowPrivateNetwork: config.ALLOW_PRIVATE_NETWORK,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sandbox.close();
  }
}
