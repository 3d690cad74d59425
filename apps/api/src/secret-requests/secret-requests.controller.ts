import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { secretRequestListResponse, type SecretRequestListResponse } from '@mendflow/contracts/api';
import { SecretRequestsRepository } from '@mendflow/db';
import { CurrentPrincipal, type Principal, Requires } from '../auth/principal';
import { ApiContract } from '../common/api-contract';
import { secretRequestView } from './secret-request.views';

/** The secrets agents asked for (MCP request_secret); a person answers with PUT /secrets/{name}. */
@ApiTags('secrets')
@Controller('api/v1/secret-requests')
export class SecretRequestsController {
  constructor(private readonly requests: SecretRequestsRepository) {}

  @Get()
  @Requires('workspace:read')
  @ApiContract({
    summary:
      'Open secret requests, newest first: a name and purpose an agent asked for (never a value); setting the secret fulfills it',
    response: { status: 200, schema: secretRequestListResponse },
  })
  async list(@CurrentPrincipal() principal: Principal): Promise<SecretRequestListResponse> {
    const items = await this.requests.listOpen(principal.workspaceId);
    return { items: items.map(secretRequestView) };
  }
}
