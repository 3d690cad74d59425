import { Module } from '@nestjs/common';
import { RunControlService } from './run-control.service';
import { RunInputValidator } from './run-input.validator';
import { RunsController } from './runs.controller';
import { RunsService } from './runs.service';

@Module({
  controllers: [RunsController],
  providers: [RunsService, RunControlService, RunInputValidator],
  exports: [RunControlService, RunsService],
})
export class RunsModule {}
