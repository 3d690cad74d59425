import { SecretBox } from '@mendflow/common';
import {
  type Db,
  HostStateRepository,
  RepairsRepository,
  RunExecutionRepository,
  RunsRepository,
  SecretsRepository,
} from '@mendflow/db';
import type { RunEngine } from '@mendflow/engine';
import { createTestEventRouter } from '../../../../libs/engine/src/testing/test-engine';
import type { Sandbox } from '@mendflow/sandbox';
import type { WorkerConfig } from '../config/worker-config';
import { WorkerMetrics } from '../health/worker-metrics';
import { RepairBudget } from '../repairs/repair-budget.service';
import { AttemptSettler } from '../runs/attempt-settler.service';
import { CancellationService } from '../runs/cancellation.service';
import { HostServicesFactory } from '../runs/host-services.factory';
import { RunExecutor } from '../runs/run-executor.service';
import { RunnableScripts } from '../runs/runnable-scripts';
import type { SandboxHost } from '../runs/sandbox.provider';

/** The secret key test executors encrypt secrets with. */
export const TEST_SECRET_KEY = 'a'.repeat(64);

/**
 * The worker's executor for integration tests, wired as WorkerModule wires it, on a real database, a
 * real engine (see libs/engine/src/testing) and a real sandbox. `settle` swaps the engine and database
 * the settler writes with (to make settling fail while the start works).
 */
export function testExecutor(parts: {
  db: Db;
  engine: RunEngine;
  sandbox: Pick<Sandbox, 'runAttempt'>;
  config: WorkerConfig;
  settle?: { engine: RunEngine; db: Db };
}): RunExecutor {
  const repairs = new RepairsRepository(parts.db);
  const settler = new AttemptSettler(
    parts.settle?.engine ?? parts.engine,
    new RunExecutionRepository(parts.settle?.db ?? parts.db),
    repairs,
    new RepairBudget(repairs, parts.config),
  );
  const hostServices = new HostServicesFactory(
    new SecretsRepository(parts.db),
    new HostStateRepository(parts.db),
    new RunsRepository(parts.db),
    createTestEventRouter(parts.db, parts.engine),
    new SecretBox(TEST_SECRET_KEY),
  );
  return new RunExecutor(
    parts.engine,
    hostServices,
    { sandbox: parts.sandbox } as unknown as SandboxHost,
    settler,
    new CancellationService(parts.config),
    new WorkerMetrics(),
    new RunnableScripts(),
  );
}
