import { type DynamicModule, Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { createDb, type Db } from './database';
import { ApiKeysRepository } from './repositories/api-keys.repository';
import { AuditRepository } from './repositories/audit.repository';
import { AutomationsRepository } from './repositories/automations.repository';
import { EmittedEventsRepository } from './repositories/emitted-events.repository';
import { HostStateRepository } from './repositories/host-state.repository';
import { InboxRepository } from './repositories/inbox.repository';
import { InvitationsRepository } from './repositories/invitations.repository';
import { MembershipsRepository } from './repositories/memberships.repository';
import { NotificationsRepository } from './repositories/notifications.repository';
import { RepairsRepository } from './repositories/repairs.repository';
import { RetentionRepository } from './repositories/retention.repository';
import { RunExecutionRepository } from './repositories/run-execution.repository';
import { RunSlotsRepository } from './repositories/run-slots.repository';
import { RunsRepository } from './repositories/runs.repository';
import { SecretRequestsRepository } from './repositories/secret-requests.repository';
import { SecretsRepository } from './repositories/secrets.repository';
import { StatsRepository } from './repositories/stats.repository';
import { TriggersRepository } from './repositories/triggers.repository';
import { SigningKeysRepository } from './repositories/signing-keys.repository';
import { SessionsRepository } from './repositories/sessions.repository';
import { UsersRepository } from './repositories/users.repository';
import { WebhooksRepository } from './repositories/webhooks.repository';
import { WorkspacesRepository } from './repositories/workspaces.repository';

export const DB = Symbol('mendflow.db');

const REPOSITORIES = [
  WorkspacesRepository,
  ApiKeysRepository,
  AutomationsRepository,
  RunsRepository,
  RunExecutionRepository,
  RunSlotsRepository,
  HostStateRepository,
  SecretsRepository,
  SecretRequestsRepository,
  InboxRepository,
  RepairsRepository,
  AuditRepository,
  StatsRepository,
  UsersRepository,
  SessionsRepository,
  MembershipsRepository,
  InvitationsRepository,
  NotificationsRepository,
  WebhooksRepository,
  TriggersRepository,
  EmittedEventsRepository,
  SigningKeysRepository,
  RetentionRepository,
] as const;

class DbLifecycle implements OnApplicationShutdown {
  constructor(@Inject(DB) private readonly db: Db) {}
  async onApplicationShutdown(): Promise<void> {
    await this.db.$disconnect();
  }
}

/** Registers the Prisma client and every repository; the repositories are plain classes shared by apps. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(options: { url: string; poolSize?: number }): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        { provide: DB, useFactory: () => createDb(options.url, { poolSize: options.poolSize }) },
        DbLifecycle,
        ...REPOSITORIES.map((Repository) => ({
          provide: Repository,
          useFactory: (db: Db) => new Repository(db),
          inject: [DB],
        })),
      ],
      exports: [DB, ...REPOSITORIES],
    };
  }
}
