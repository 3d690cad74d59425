import { Global, Logger, Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { LiveEventsGateway } from './live-events.gateway';
import { LiveEventsPublisher } from '@mendflow/events';
import { API_CONFIG, type ApiConfig } from '../config/api-config';

/**
 * Live events: the Socket.IO gateway (namespace /events) and the API's own publisher. Global so any
 * feature that appends to a run's timeline can publish it, and sign-out or key revocation can close
 * the sockets that credential opened.
 */
@Global()
@Module({
  imports: [AuthModule],
  providers: [
    LiveEventsGateway,
    {
      // What the API itself appends to a timeline (a run queued, cancelled, retried) goes out like the worker's.
      provide: LiveEventsPublisher,
      useFactory: (config: ApiConfig) => {
        const logger = new Logger('LiveEvents');
        return new LiveEventsPublisher(config.REDIS_URL, {
          onError: (error) => logger.warn(`live event not published: ${error.message}`),
        });
      },
      inject: [API_CONFIG],
    },
  ],
  exports: [LiveEventsGateway, LiveEventsPublisher],
})
export class EventsModule {}
