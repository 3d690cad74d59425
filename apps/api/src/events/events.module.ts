import { Global, Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { LiveEventsGateway } from './live-events.gateway';
import { LiveEvents } from './live-events.service';

/**
 * Live events: the Socket.IO gateway (namespace /events) and the API's own publisher. Global so any
 * feature that appends to a run's timeline can publish it, and sign-out or key revocation can close
 * the sockets that credential opened.
 */
@Global()
@Module({
  imports: [AuthModule],
  providers: [LiveEventsGateway, LiveEvents],
  exports: [LiveEventsGateway, LiveEvents],
})
export class EventsModule {}
