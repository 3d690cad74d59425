import { Body, Controller, Delete, Get, HttpCode, Param, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { CurrentPrincipal, type Principal, Requires } from '../auth/principal';
import { openApiSchema } from '../common/openapi';
import { UuidParam } from '../common/uuid.pipe';
import { ZodPipe } from '../common/zod.pipe';
import { MembersService } from './members.service';
import { changeRoleBody } from './team-bodies';
import { memberView } from './team.views';

const memberId = new UuidParam('MEMBER_NOT_FOUND', 'member');

@ApiTags('members')
@ApiBearerAuth()
@Controller('api/v1/members')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @Get()
  @Requires('workspace:read')
  @ApiOperation({ summary: 'Members of the workspace with their role, owners first' })
  async list(@CurrentPrincipal() principal: Principal) {
    return { items: (await this.members.list(principal)).map((m) => memberView(m, principal.userId)) };
  }

  @Patch(':userId')
  @Requires('members:manage')
  @ApiOperation({
    summary:
      "Change a member's role (admin+; only an owner grants owner or changes an owner; the last owner stays)",
  })
  @ApiBody({ schema: openApiSchema(changeRoleBody) })
  async changeRole(
    @CurrentPrincipal() principal: Principal,
    @Param('userId', memberId) userId: string,
    @Body(new ZodPipe(changeRoleBody)) body: z.output<typeof changeRoleBody>,
  ) {
    return memberView(await this.members.changeRole(principal, userId, body.role), principal.userId);
  }

  @Delete(':userId')
  @Requires('members:manage')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Remove a member: their API keys of this workspace are revoked and their sessions in it end (admin+; owners only by an owner; the last owner stays)',
  })
  async remove(@CurrentPrincipal() principal: Principal, @Param('userId', memberId) userId: string) {
    await this.members.remove(principal, userId);
  }
}
