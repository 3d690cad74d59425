import { Module } from '@nestjs/common';
import { secretBoxProvider } from '../secrets/secret-box.provider';
import { NotificationsController } from './notifications.controller';
import { NotificationsService } from './notifications.service';

@Module({
  controllers: [NotificationsController],
  providers: [NotificationsService, secretBoxProvider],
})
export class NotificationsModule {}
