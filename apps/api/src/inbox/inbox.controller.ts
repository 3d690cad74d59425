import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { inboxItemListSchema, inboxItemSchema } from '@mendflow/contracts/api';
import { ApiContract } from '../common/api-contract';
import { ApiTags } from '@nestjs/swagger';
import { INBOX_ACTIONS, INBOX_STATUSES } from '@mendflow/contracts';
import { z } from 'zod';
import { CurrentPrincipal, type Principal, Requires } from '../auth/principal';
import { UuidParam } from '../common/uuid.pipe';
import { ZodPipe } from '../common/zod.pipe';
import { InboxService } from './inbox.service';
import { inboxItemView } from './inbox.views';

const listInboxQuery = z.strictObject({
  status: z.enum(INBOX_STATUSES).default('open'),
  runId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const resolveBody = z.strictObject({
  action: z.enum(INBOX_ACTIONS),
  comment: z.string().max(2000).optional(),
  /** Approving an approval request: caps tighter than the script asked for (never wider). */
  caps: z
    .strictObject({
      maxFetches: z.int().min(0).max(10_000).optional(),
      hosts: z.array(z.string().min(1).max(253)).max(100).optional(),
    })
    .optional(),
});

@ApiTags('inbox')
@Controller('api/v1/inbox')
export class InboxController {
  constructor(private readonly inbox: InboxService) {}

  @Get()
  @Requires('workspace:read')
  @ApiContract({
    summary: 'Action-needed items (open by default), newest first',
    response: { status: 200, schema: inboxItemListSchema },
  })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query(new ZodPipe(listInboxQuery)) query: z.output<typeof listInboxQuery>,
  ) {
    return { items: (await this.inbox.list(principal, query)).map(inboxItemView) };
  }

  @Post(':id/resolve')
  @Requires('inbox:resolve')
  @HttpCode(200)
  @ApiContract({
    summary:
      'Resolve an item: retry, approve, reject or cancel (resumes or ends its run). For an approval request: approve or reject, with an optional comment and tighter caps; 409 APPROVAL_EXPIRED after its deadline',
    body: resolveBody,
    response: { status: 200, schema: inboxItemSchema },
    errors: [409],
  })
  async resolve(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new UuidParam('INBOX_ITEM_NOT_FOUND', 'inbox item')) id: string,
    @Body(new ZodPipe(resolveBody)) body: z.output<typeof resolveBody>,
  ) {
    return inboxItemView(await this.inbox.resolve(principal, id, body));
  }
}
