import { getQueueToken } from '@nestjs/bullmq';
import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TriggersRepository } from '@mendflow/db';
import { QueueNames } from '@mendflow/queue';
import { ScheduleSync, type SchedulerQueue } from './schedule-sync';

/**
 * ScheduleSync for a Nest app (API or worker). Needs DatabaseModule and EngineModule (which registers
 * the maintenance queue).
 */
@Global()
@Module({})
export class TriggersModule {
  static forRoot(): DynamicModule {
    return {
      module: TriggersModule,
      providers: [
        {
          provide: ScheduleSync,
          inject: [TriggersRepository, getQueueToken(QueueNames.maintenance)],
          useFactory: (triggers: TriggersRepository, queue: SchedulerQueue) =>
            new ScheduleSync(triggers, queue),
        },
      ],
      exports: [ScheduleSync],
    };
  }
}
