import { BullModule, getQueueToken } from '@nestjs/bullmq';
import {
  type DynamicModule,
  Global,
  Inject,
  Logger,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InputSchemaChecker } from '@mendflow/common';
import {
  AutomationsRepository,
  EmittedEventsRepository,
  InboxRepository,
  RunExecutionRepository,
  RunSlotsRepository,
  RunsRepository,
  TriggersRepository,
} from '@mendflow/db';
import { LiveEventsPublisher } from '@mendflow/events';
import {
  CANCEL_CHANNEL,
  JobQueues,
  type QueueLike,
  type QueueName,
  QueueNames,
  reportConnectionTrouble,
} from '@mendflow/queue';
import { Redis } from 'ioredis';
import { EventRouter } from './events/event-router';
import { RunEngine } from './run-engine';

const STOP_PUBLISHER = Symbol('mendflow.engine.stop-publisher');
const QUEUES = Object.values(QueueNames);

class StopPublisherLifecycle implements OnApplicationShutdown {
  constructor(@Inject(STOP_PUBLISHER) private readonly redis: Redis) {}
  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}

/**
 * The engine for a Nest app (API or worker): every catalog queue registered, one JobQueues over them,
 * the live-events publisher, the RunEngine and the EventRouter. Needs BullModule.forRoot and DatabaseModule.
 */
@Global()
@Module({})
export class EngineModule {
  /** `enqueueTimeoutMs`: a bound on every enqueue (see JobQueues); the API sets one, workers wait. */
  static forRoot(options: { redisUrl: string; enqueueTimeoutMs?: number }): DynamicModule {
    const queues = BullModule.registerQueue(...QUEUES.map((name) => ({ name })));
    return {
      module: EngineModule,
      imports: [queues],
      providers: [
        {
          provide: JobQueues,
          inject: QUEUES.map((name) => getQueueToken(name)),
          useFactory: (...queues: QueueLike[]) =>
            new JobQueues(
              Object.fromEntries(QUEUES.map((name, i) => [name, queues[i]])) as Record<QueueName, QueueLike>,
              { timeoutMs: options.enqueueTimeoutMs },
            ),
        },
        {
          // Publishing only: a cancel reaches the worker running the attempt through pub/sub.
          provide: STOP_PUBLISHER,
          useFactory: () => {
            const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
            const logger = new Logger('StopPublisher');
            reportConnectionTrouble(redis, (message) => logger.warn(`${message}; reconnecting`));
            return redis;
          },
        },
        StopPublisherLifecycle,
        {
          // Dashboards get every change through Redis; a lost publish is caught up from PostgreSQL.
          provide: LiveEventsPublisher,
          useFactory: () => {
            const logger = new Logger('LiveEvents');
            return new LiveEventsPublisher(options.redisUrl, {
              onError: (error) => logger.warn(`live event not published: ${error.message}`),
            });
          },
        },
        {
          provide: RunEngine,
          inject: [
            RunsRepository,
            RunExecutionRepository,
            InboxRepository,
            RunSlotsRepository,
            LiveEventsPublisher,
            JobQueues,
            STOP_PUBLISHER,
          ],
          useFactory: (
            runs: RunsRepository,
            execution: RunExecutionRepository,
            inbox: InboxRepository,
            slots: RunSlotsRepository,
            live: LiveEventsPublisher,
            jobs: JobQueues,
            redis: Redis,
          ) => {
            const logger = new Logger('RunEngine');
            return new RunEngine({
              runs,
              execution,
              inbox,
              slots,
              live,
              jobs,
              stopAttempt: async (runId) => {
                await redis.publish(CANCEL_CHANNEL, runId);
              },
              warn: (message) => logger.warn(message),
            });
          },
        },
        {
          // ctx.emit (worker) and POST /api/v1/events (API) route through the same router.
          provide: EventRouter,
          inject: [EmittedEventsRepository, TriggersRepository, AutomationsRepository, RunEngine],
          useFactory: (
            events: EmittedEventsRepository,
            triggers: TriggersRepository,
            automations: AutomationsRepository,
            engine: RunEngine,
          ) => new EventRouter({ events, triggers, automations, engine, inputs: new InputSchemaChecker() }),
        },
      ],
      // The queues too: processors and the reconciler read jobs (@InjectQueue).
      exports: [JobQueues, RunEngine, EventRouter, LiveEventsPublisher, queues],
    };
  }
}
