import { BullModule } from '@nestjs/bullmq';
import { type DynamicModule, Module } from '@nestjs/common';
import { ProcessLifecycle, SecretBox } from '@mendflow/common';
import { DatabaseModule } from '@mendflow/db';
import { EngineModule } from '@mendflow/engine';
import { TriggersModule } from '@mendflow/triggers';
import { assertHandlers, QueueNames, redisConnection } from '@mendflow/queue';
import { WORKER_CONFIG, type WorkerConfig } from './config/worker-config';
import { WorkerHealthServer } from './health/health-server';
import { SANDBOX_HEALTH } from './health/sandbox-health';
import { WorkerMetrics } from './health/worker-metrics';
import { NotificationProcessor } from './notifications/notification.processor';
import { NotificationService } from './notifications/notification.service';
import { CandidateValidator } from './repairs/candidate-validator';
import { RepairBudget } from './repairs/repair-budget.service';
import { REPAIR_PROVIDER } from './repairs/repair-provider';
import { createRepairProvider } from './repairs/repair-provider.factory';
import { RepairProcessor } from './repairs/repair.processor';
import { RepairService } from './repairs/repair.service';
import { AttemptSettler } from './runs/attempt-settler.service';
import { CancellationService } from './runs/cancellation.service';
import { HostServicesFactory, SECRET_BOX } from './runs/host-services.factory';
import { RunExecutor } from './runs/run-executor.service';
import { RunnableScripts } from './runs/runnable-scripts';
import { RunProcessor } from './runs/run.processor';
import { SandboxHost } from './runs/sandbox.provider';
import { MaintenanceProcessor } from './runs/maintenance.processor';
import { RetentionPass } from './retention/retention-pass.service';
import { StaleRunReconciler } from './runs/stale-run-reconciler.service';
import { ScheduleTicks } from './schedules/schedule-ticks.service';

@Module({})
export class WorkerModule {
  /** `lifecycle` is the process's (see main.ts): components report fatal errors to it, probes read its state. */
  static forRoot(config: WorkerConfig, lifecycle: ProcessLifecycle): DynamicModule {
    // Every job of the queues this worker consumes has exactly one handler, or the worker does not start.
    assertHandlers(
      [QueueNames.runs, QueueNames.repairs, QueueNames.maintenance, QueueNames.notifications],
      [
        RunProcessor.handles,
        RepairProcessor.handles,
        MaintenanceProcessor.handles,
        NotificationProcessor.handles,
      ],
    );
    return {
      module: WorkerModule,
      imports: [
        DatabaseModule.forRoot({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE }),
        BullModule.forRoot({ connection: redisConnection(config.REDIS_URL) }),
        EngineModule.forRoot({ redisUrl: config.REDIS_URL }),
        TriggersModule.forRoot(),
      ],
      providers: [
        { provide: WORKER_CONFIG, useValue: config },
        { provide: ProcessLifecycle, useValue: lifecycle },
        { provide: SECRET_BOX, useValue: new SecretBox(config.MENDFLOW_SECRET_KEY) },
        { provide: SandboxHost, useValue: new SandboxHost(config) },
        { provide: SANDBOX_HEALTH, useExisting: SandboxHost },
        { provide: REPAIR_PROVIDER, useValue: createRepairProvider(config) },
        { provide: WorkerMetrics, useValue: new WorkerMetrics() },
        HostServicesFactory,
        CancellationService,
        AttemptSettler,
        RunExecutor,
        RunnableScripts,
        RunProcessor,
        RepairBudget,
        CandidateValidator,
        RepairService,
        RepairProcessor,
        StaleRunReconciler,
        ScheduleTicks,
        RetentionPass,
        MaintenanceProcessor,
        NotificationService,
        NotificationProcessor,
        WorkerHealthServer,
      ],
    };
  }
}
