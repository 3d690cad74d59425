import { Module } from '@nestjs/common';
import { EmittedEventsController } from './emitted-events.controller';
import { EmittedEventsService } from './emitted-events.service';

/** POST /api/v1/events (the live Socket.IO events are ../events). */
@Module({
  controllers: [EmittedEventsController],
  providers: [EmittedEventsService],
})
export class EmittedEventsModule {}
