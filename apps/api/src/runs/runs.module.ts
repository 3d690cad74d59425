import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { QueueNames } from '@mendflow/queue';
import { RunControlService } from './run-control.service';
import { RunInputValidator } from './run-input.validator';
import { RunQueue } from './run-queue.service';
import { RunsController } from './runs.controller';
import { RunsService } from './runs.service';

@Module({
  imports: [BullModule.registerQueue({ name: QueueNames.runs })],
  controllers: [RunsController],
  providers: [RunsService, RunQueue, RunControlService, RunInputValidator],
  exports: [RunQueue, RunControlService],
})
export class RunsModule {}
