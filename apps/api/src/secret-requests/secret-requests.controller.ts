import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { secretRequestListResponse, type SecretRequestListResponse } from '@mendflow/contracts';
import { SecretRequestsRepository } from '@mendflow/db';
import { CurrentPrincipal, type Principal, Requires } from '../auth/principal';
import { openApiSchema } from '../common/openapi';
import { secretRequestView } from './secret-request.views';

/** The secrets agents asked for (MCP request_secret); a person answers with PUT /secrets/{name}. */
@ApiTags('secrets')
@ApiBearerAuth()
@Controller('api/v1/secret-requests')
export class SecretRequestsController {
  constructor(private readonly requests: SecretRequestsRepository) {}

  @Get()
  @Requires('workspace:read')
  @ApiOperation({
    summary:
      'Open secret requests, newest first: a name and purpose an agent asked for (never a value); setting the secret fulfills it',
  })
  @ApiOkResponse({ schema: openApiSchema(secretRequestListResponse) })
  async list(@CurrentPrincipal() principal: Principal): Promise<SecretRequestListResponse> {
    const items = await this.requests.listOpen(principal.workspaceId);
    return { items: items.map(secretRequestView) };
  }
}
