import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  notificationChannelListSchema,
  notificationDeliveryPageSchema,
  notificationTestSchema,
  savedNotificationChannelSchema,
} from '@mendflow/contracts/api';
import { ApiContract } from '../common/api-contract';
import { ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, Requires } from '../auth/principal';
import { UuidParam } from '../common/uuid.pipe';
import { ZodPipe } from '../common/zod.pipe';
import {
  type CreateChannelBody,
  createChannelBody,
  type ListDeliveriesQuery,
  listDeliveriesQuery,
  type UpdateChannelBody,
  updateChannelBody,
} from './notification-bodies';
import { channelView, deliveryView } from './notification.views';
import { NotificationsService } from './notifications.service';

const channelId = new UuidParam('NOTIFICATION_CHANNEL_NOT_FOUND', 'notification channel');

@ApiTags('notifications')
@Controller('api/v1')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get('notification-channels')
  @Requires('workspace:read')
  @ApiContract({
    summary: 'Notification channels of the workspace (never their secrets)',
    response: { status: 200, schema: notificationChannelListSchema },
  })
  async list(@CurrentPrincipal() principal: Principal) {
    return { items: (await this.notifications.list(principal)).map(channelView) };
  }

  @Post('notification-channels')
  @Requires('notifications:manage')
  @ApiContract({
    summary:
      "Create a channel (webhook, slack or email); a webhook channel's signing secret is in this answer only",
    body: createChannelBody,
    response: { status: 201, schema: savedNotificationChannelSchema },
    errors: [409],
  })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body(new ZodPipe(createChannelBody)) body: CreateChannelBody,
  ) {
    const { channel, signingSecret } = await this.notifications.create(principal, body);
    return { ...channelView(channel), ...(signingSecret && { signingSecret }) };
  }

  @Patch('notification-channels/:id')
  @Requires('notifications:manage')
  @ApiContract({
    summary:
      'Change a channel: name, topics, enabled, config (checked against its kind), password (email), rotateSecret (webhook)',
    body: updateChannelBody,
    response: { status: 200, schema: savedNotificationChannelSchema },
    errors: [409],
  })
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', channelId) id: string,
    @Body(new ZodPipe(updateChannelBody)) body: UpdateChannelBody,
  ) {
    const { channel, signingSecret } = await this.notifications.update(principal, id, body);
    return { ...channelView(channel), ...(signingSecret && { signingSecret }) };
  }

  @Delete('notification-channels/:id')
  @Requires('notifications:manage')
  @HttpCode(204)
  @ApiContract({ summary: 'Delete a channel and its deliveries', response: { status: 204 } })
  async remove(@CurrentPrincipal() principal: Principal, @Param('id', channelId) id: string) {
    await this.notifications.remove(principal, id);
  }

  @Post('notification-channels/:id/test')
  @Requires('notifications:manage')
  @HttpCode(200)
  @ApiContract({
    summary: 'Send a test message through the channel now; answers whether it arrived',
    response: { status: 200, schema: notificationTestSchema },
  })
  test(@CurrentPrincipal() principal: Principal, @Param('id', channelId) id: string) {
    return this.notifications.test(principal, id);
  }

  @Get('notification-deliveries')
  @Requires('workspace:read')
  @ApiContract({
    summary:
      'Notification deliveries, newest first; filter by channel, status and subject; cursor pagination',
    response: { status: 200, schema: notificationDeliveryPageSchema },
  })
  async deliveries(
    @CurrentPrincipal() principal: Principal,
    @Query(new ZodPipe(listDeliveriesQuery)) query: ListDeliveriesQuery,
  ) {
    const page = await this.notifications.listDeliveries(principal, query);
    return { items: page.items.map(deliveryView), nextCursor: page.nextCursor };
  }
}
