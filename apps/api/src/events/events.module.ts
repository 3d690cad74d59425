import { Global, Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { LiveEventsGateway } from './live-events.gateway';

/**
 * Live events: the Socket.IO gateway (namespace /events). What the API appends to a timeline is
 * published by the run engine (EngineModule). Global so sign-out or key revocation can close the
 * sockets that credential opened.
 */
@Global()
@Module({
  imports: [AuthModule],
  providers: [LiveEventsGateway],
  exports: [LiveEventsGateway],
})
export class EventsModule {}
