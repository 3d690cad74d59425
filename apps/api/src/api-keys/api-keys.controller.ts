import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { apiKeyListSchema, createdApiKeySchema } from '@mendflow/contracts/api';
import { ApiContract } from '../common/api-contract';
import { ApiTags } from '@nestjs/swagger';
import { ROLES } from '@mendflow/common';
import type { ApiKeyRecord } from '@mendflow/db';
import { z } from 'zod';
import { CurrentPrincipal, type Principal, Requires } from '../auth/principal';
import { UuidParam } from '../common/uuid.pipe';
import { ZodPipe } from '../common/zod.pipe';
import { ApiKeysService } from './api-keys.service';

const createApiKeyBody = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  /** Defaults to the creator's own role; never above it. */
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }).optional(),
  /** An ISO 8601 date-time in the future; omitted or null: the key does not expire. */
  expiresAt: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-12-31T00:00:00Z' })
    .nullable()
    .optional(),
});
export type CreateApiKeyBody = z.output<typeof createApiKeyBody>;

function apiKeyView(key: ApiKeyRecord) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    role: key.role,
    createdBy: { id: key.userId, email: key.userEmail },
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt ? key.lastUsedAt.toISOString() : null,
    expiresAt: key.expiresAt ? key.expiresAt.toISOString() : null,
  };
}

@ApiTags('api-keys')
@Controller('api/v1/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Get()
  @Requires('api_keys:manage')
  @ApiContract({
    summary: 'Active API keys of the workspace (never the key itself); admin+',
    response: { status: 200, schema: apiKeyListSchema },
  })
  async list(@CurrentPrincipal() principal: Principal) {
    return { items: (await this.apiKeys.list(principal)).map(apiKeyView) };
  }

  @Post()
  @Requires('api_keys:manage')
  @ApiContract({
    summary:
      "Create an API key with a role (default and maximum: the creator's own) and an optional expiry; the key is in this answer only",
    body: createApiKeyBody,
    response: { status: 201, schema: createdApiKeySchema },
  })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body(new ZodPipe(createApiKeyBody)) body: CreateApiKeyBody,
  ) {
    const { record, key } = await this.apiKeys.create(principal, body);
    return { ...apiKeyView(record), key };
  }

  @Delete(':id')
  @Requires('api_keys:manage')
  @HttpCode(204)
  @ApiContract({ summary: 'Revoke an API key (an owner key only by an owner)', response: { status: 204 } })
  async revoke(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new UuidParam('API_KEY_NOT_FOUND', 'API key')) id: string,
  ) {
    await this.apiKeys.revoke(principal, id);
  }
}
