import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { loggableError } from '@mendflow/db';
import { ProcessSandbox, type SandboxHealth, type SandboxProcessDeath } from '@mendflow/sandbox';
import type { WorkerConfig } from '../config/worker-config';

/**
 * One sandbox per worker process: a pool of sandbox processes, one per unit of the processor's
 * concurrency. A script that crashes or wedges its process ends its own attempt (with an error naming
 * the limit) and the pool replaces the process; the worker itself never runs script code.
 */
@Injectable()
export class SandboxHost implements OnApplicationShutdown {
  readonly sandbox: ProcessSandbox;

  private readonly logger = new Logger('Sandbox');

  constructor(config: WorkerConfig) {
    this.sandbox = new ProcessSandbox({
      processes: config.WORKER_CONCURRENCY,
      heapMb: config.SANDBOX_PROCESS_HEAP_MB,
      maxAttemptsPerProcess: config.SANDBOX_ATTEMPTS_PER_PROCESS,
      killGraceMs: config.SANDBOX_KILL_GRACE_MS,
      allowPrivateNetwork: config.ALLOW_PRIVATE_NETWORK,
      onHostError: (error, context) =>
        this.logger.warn(
          `host service ${context.op} failed for run ${context.runId}: ${loggableError(error)}`,
        ),
      // A JSON line like every other, instead of the child's raw text on stderr.
      onStderrLine: (line, pid) => this.logger.warn(`sandbox process ${pid} stderr: ${line}`),
      onProcessLost: ({ pid, death, attempts }) =>
        this.logger.warn(
          `sandbox process ${pid} lost (${describeDeath(death)}) after ${attempts} attempt(s); replaced`,
        ),
    });
  }

  /** Whether the pool can serve attempts (the worker's health endpoint reports it). */
  health(): SandboxHealth {
    return this.sandbox.health();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sandbox.close();
  }
}

function describeDeath(death: SandboxProcessDeath): string {
  switch (death.kind) {
    case 'deadline':
      return `an attempt ran past its ${death.timeoutMs} ms limit`;
    case 'stalled':
      return `no heartbeat for ${death.silentMs} ms`;
    case 'catastrophic':
      return `isolated-vm: ${death.message}`;
    case 'exited':
      return death.signal ? `signal ${death.signal}` : `exit code ${death.code}`;
    default:
      return death.kind;
  }
}
