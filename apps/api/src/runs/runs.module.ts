import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { QueueNames } from '@mendflow/queue';
import { RunQueue } from './run-queue.service';
import { RunsController } from './runs.controller';
import { RunsService } from './runs.service';

@Module({
  imports: [BullModule.registerQueue({ name: QueueNames.runs })],
  controllers: [RunsController],
  providers: [RunsService, RunQueue],
})
export class RunsModule {}
