import { Body, Controller, Delete, Get, HttpCode, Param, Patch } from '@nestjs/common';
import { memberListSchema, memberSchema } from '@mendflow/contracts/api';
import { ApiContract } from '../common/api-contract';
import { ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { CurrentPrincipal, type Principal, Requires } from '../auth/principal';
import { UuidParam } from '../common/uuid.pipe';
import { ZodPipe } from '../common/zod.pipe';
import { MembersService } from './members.service';
import { changeRoleBody } from './team-bodies';
import { memberView } from './team.views';

const memberId = new UuidParam('MEMBER_NOT_FOUND', 'member');

@ApiTags('members')
@Controller('api/v1/members')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @Get()
  @Requires('workspace:read')
  @ApiContract({
    summary: 'Members of the workspace with their role, owners first',
    response: { status: 200, schema: memberListSchema },
  })
  async list(@CurrentPrincipal() principal: Principal) {
    return { items: (await this.members.list(principal)).map((m) => memberView(m, principal.userId)) };
  }

  @Patch(':userId')
  @Requires('members:manage')
  @ApiContract({
    summary:
      "Change a member's role (admin+; only an owner grants owner or changes an owner; the last owner stays)",
    body: changeRoleBody,
    response: { status: 200, schema: memberSchema },
    errors: [409],
  })
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
  @ApiContract({
    summary:
      'Remove a member: their API keys of this workspace are revoked and their sessions in it end (admin+; owners only by an owner; the last owner stays)',
    response: { status: 204 },
    errors: [409],
  })
  async remove(@CurrentPrincipal() principal: Principal, @Param('userId', memberId) userId: string) {
    await this.members.remove(principal, userId);
  }
}
