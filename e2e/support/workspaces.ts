import { ApiKeysRepository, createDb, WorkspacesRepository } from '@mendflow/db';
import { apiKeyPrefix, generateApiKey, hashApiKey, hashPassword } from '../../apps/api/src/auth/credentials';

export interface TestWorkspace {
  workspaceId: string;
  userId: string;
  email: string;
  password: string;
  apiKey: string;
}

/**
 * Another tenant next to the bootstrap one, created through the same repositories the API uses (there is
 * no sign-up endpoint): a workspace, its owner with a password, and an API key for that owner.
 */
export async function createWorkspace(databaseUrl: string, name: string): Promise<TestWorkspace> {
  const db = createDb(databaseUrl, { poolSize: 1 });
  try {
    const email = `owner@${name.toLowerCase().replace(/\W/g, '-')}.test`;
    const password = `${name} password`;
    const owner = await new WorkspacesRepository(db).createWorkspaceWithOwner({
      workspaceName: name,
      email,
      passwordHash: await hashPassword(password),
    });
    const apiKey = generateApiKey();
    await new ApiKeysRepository(db).create(owner.workspaceId, {
      userId: owner.userId,
      name: 'e2e',
      prefix: apiKeyPrefix(apiKey),
      keyHash: hashApiKey(apiKey),
    });
    return { workspaceId: owner.workspaceId, userId: owner.userId, email, password, apiKey };
  } finally {
    await db.$disconnect();
  }
}
