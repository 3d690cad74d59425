import { Controller, Get, Param } from '@nestjs/common';
import { triggerListSchema } from '@mendflow/contracts/api';
import { ApiContract } from '../common/api-contract';
import { ApiTags } from '@nestjs/swagger';
import { ErrorCodes } from '@mendflow/common';
import { CurrentPrincipal, type Principal, Requires } from '../auth/principal';
import { UuidParam } from '../common/uuid.pipe';
import { TriggersService } from './triggers.service';

@ApiTags('automations')
@Controller('api/v1/automations')
export class TriggersController {
  constructor(private readonly triggers: TriggersService) {}

  @Get(':id/triggers')
  @Requires('workspace:read')
  @ApiContract({
    summary:
      "An automation's triggers in force (none while paused): schedules with their next fire times, last tick and last scheduled runs",
    response: { status: 200, schema: triggerListSchema },
  })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new UuidParam(ErrorCodes.AUTOMATION_NOT_FOUND, 'automation')) id: string,
  ) {
    return { items: await this.triggers.list(principal, id) };
  }
}
