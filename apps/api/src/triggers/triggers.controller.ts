import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorCodes } from '@mendflow/common';
import { CurrentPrincipal, type Principal, Requires } from '../auth/principal';
import { UuidParam } from '../common/uuid.pipe';
import { TriggersService } from './triggers.service';

@ApiTags('automations')
@ApiBearerAuth()
@Controller('api/v1/automations')
export class TriggersController {
  constructor(private readonly triggers: TriggersService) {}

  @Get(':id/triggers')
  @Requires('workspace:read')
  @ApiOperation({
    summary:
      "An automation's triggers in force (none while paused): schedules with their next fire times, last tick and last scheduled runs",
  })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new UuidParam(ErrorCodes.AUTOMATION_NOT_FOUND, 'automation')) id: string,
  ) {
    return { items: await this.triggers.list(principal, id) };
  }
}
