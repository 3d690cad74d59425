import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ApiKeyRecord } from '@mendflow/db';
import { z } from 'zod';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { openApiSchema } from '../common/openapi';
import { UuidParam } from '../common/uuid.pipe';
import { ZodPipe } from '../common/zod.pipe';
import { ApiKeysService } from './api-keys.service';

const createApiKeyBody = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
});

function apiKeyView(key: ApiKeyRecord) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt ? key.lastUsedAt.toISOString() : null,
  };
}

@ApiTags('api-keys')
@ApiBearerAuth()
@Controller('api/v1/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Get()
  @ApiOperation({ summary: 'Active API keys of the workspace (never the key itself)' })
  async list(@CurrentPrincipal() principal: Principal) {
    return { items: (await this.apiKeys.list(principal)).map(apiKeyView) };
  }

  @Post()
  @ApiOperation({ summary: 'Create an API key; the key is in this answer only' })
  @ApiBody({ schema: openApiSchema(createApiKeyBody) })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body(new ZodPipe(createApiKeyBody)) body: z.output<typeof createApiKeyBody>,
  ) {
    const { record, key } = await this.apiKeys.create(principal, body.name);
    return { ...apiKeyView(record), key };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key' })
  async revoke(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new UuidParam('API_KEY_NOT_FOUND', 'API key')) id: string,
  ) {
    await this.apiKeys.revoke(principal, id);
  }
}
