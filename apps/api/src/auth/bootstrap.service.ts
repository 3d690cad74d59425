import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ApiKeysRepository, WorkspacesRepository } from '@mendflow/db';
import { API_CONFIG, type ApiConfig } from '../config/api-config';
import { apiKeyPrefix, hashApiKey, hashPassword } from './credentials';

/**
 * First start: with no user yet, MENDFLOW_ADMIN_EMAIL / MENDFLOW_ADMIN_PASSWORD create the first
 * workspace and its owner, and MENDFLOW_BOOTSTRAP_API_KEY (if set) becomes the owner's first key, with
 * the owner role and no expiry.
 */
@Injectable()
export class BootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Bootstrap');

  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly workspaces: WorkspacesRepository,
    private readonly apiKeys: ApiKeysRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { MENDFLOW_ADMIN_EMAIL: email, MENDFLOW_ADMIN_PASSWORD: password } = this.config;
    if (!email || !password) {
      if (!(await this.workspaces.hasAnyUser())) {
        this.logger.warn(
          'no user exists yet: set MENDFLOW_ADMIN_EMAIL and MENDFLOW_ADMIN_PASSWORD to create the first one',
        );
      }
      return;
    }
    if (await this.workspaces.hasAnyUser()) return;
    const owner = await this.workspaces.createFirstOwner({
      workspaceName: 'Default workspace',
      email: email.toLowerCase(),
      passwordHash: await hashPassword(password),
    });
    if (!owner) return; // another replica won the race
    this.logger.log(`created the first workspace and its owner ${owner.email}`);
    const key = this.config.MENDFLOW_BOOTSTRAP_API_KEY;
    if (key) {
      await this.apiKeys.create(owner.workspaceId, {
        userId: owner.userId,
        name: 'bootstrap',
        prefix: apiKeyPrefix(key),
        keyHash: hashApiKey(key),
        role: 'owner',
      });
      this.logger.log("registered MENDFLOW_BOOTSTRAP_API_KEY as the owner's first API key");
    }
  }
}
