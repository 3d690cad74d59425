import { Module } from '@nestjs/common';
import { RunControlService } from './run-control.service';
import { RunInputValidator } from './run-input.validator';
import { RunsController } from './runs.controller';
import { RunsService } from './runs.service';
import { DeployedAutomations } from './deployed-automations';

@Module({
  controllers: [RunsController],
  providers: [RunsService, RunControlService, RunInputValidator, DeployedAutomations],
  exports: [RunControlService, RunsService],
})
export class RunsModule {}
