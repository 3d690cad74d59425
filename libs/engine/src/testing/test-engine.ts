import { InputSchemaChecker } from '@mendflow/common';
import {
  AutomationsRepository,
  type Db,
  EmittedEventsRepository,
  InboxRepository,
  RunExecutionRepository,
  RunSlotsRepository,
  RunsRepository,
  TriggersRepository,
} from '@mendflow/db';
import { LiveEventsPublisher } from '@mendflow/events';
import { CANCEL_CHANNEL, JobQueues, type QueueName, QueueNames, redisConnection } from '@mendflow/queue';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
// The package's own name, not a relative path: callers' specs get the same RunEngine class they import.
import { EventRouter, RunEngine } from '@mendflow/engine';

export interface TestEngine {
  engine: RunEngine;
  jobs: JobQueues;
  /** The real BullMQ queues under this test's own prefix, to read what was enqueued. */
  queues: Record<QueueName, Queue>;
  live: LiveEventsPublisher;
  /** What the engine warned about (an enqueue Redis refused …). */
  warnings: string[];
  close(): Promise<void>;
}

/**
 * A RunEngine over a real database and a real Redis, with queues under `prefix` so suites running side
 * by side do not see each other's jobs. For integration tests of the engine and of its callers.
 */
export function createTestEngine(db: Db, options: { redisUrl: string; prefix: string }): TestEngine {
  const connection = redisConnection(options.redisUrl);
  const queues = Object.fromEntries(
    Object.values(QueueNames).map((name) => [name, new Queue(name, { connection, prefix: options.prefix })]),
  ) as Record<QueueName, Queue>;
  const jobs = new JobQueues(queues);
  const live = new LiveEventsPublisher(options.redisUrl);
  const stop = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  const warnings: string[] = [];
  const engine = new RunEngine({
    runs: new RunsRepository(db),
    execution: new RunExecutionRepository(db),
    inbox: new InboxRepository(db),
    slots: new RunSlotsRepository(db),
    live,
    jobs,
    stopAttempt: async (runId) => {
      await stop.publish(CANCEL_CHANNEL, runId);
    },
    warn: (message) => warnings.push(message),
  });
  return {
    engine,
    jobs,
    queues,
    live,
    warnings,
    async close() {
      for (const queue of Object.values(queues)) {
        await queue.obliterate({ force: true }).catch(() => undefined);
        await queue.close();
      }
      await live.close();
      stop.disconnect();
    },
  };
}

/** The EventRouter as EngineModule wires it, over a test's database and engine. */
export function createTestEventRouter(db: Db, engine: RunEngine): EventRouter {
  return new EventRouter({
    events: new EmittedEventsRepository(db),
    triggers: new TriggersRepository(db),
    automations: new AutomationsRepository(db),
    engine,
    inputs: new InputSchemaChecker(),
  });
}
