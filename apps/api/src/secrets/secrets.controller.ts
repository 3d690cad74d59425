import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Put } from '@nestjs/common';
import { secretListSchema, secretPutSchema } from '@mendflow/contracts/api';
import { ApiContract } from '../common/api-contract';
import { ApiTags } from '@nestjs/swagger';
import {
  DomainError,
  NotFoundError,
  parseOrThrow,
  SecretBox,
  secretContext,
  secretName,
} from '@mendflow/common';
import { SecretRequestsRepository, SecretsRepository } from '@mendflow/db';
import { z } from 'zod';
import { AuditTrail } from '../audit/audit-trail.service';
import { CurrentPrincipal, type Principal, Requires } from '../auth/principal';
import { ZodPipe } from '../common/zod.pipe';
import { SECRET_BOX } from './secret-box.provider';

const putSecretBody = z.strictObject({ value: z.string().min(1, 'must not be empty').max(65_536) });

/** Secret values go in and never come out: every answer (and audit entry) carries names only. */
@ApiTags('secrets')
@Controller('api/v1/secrets')
export class SecretsController {
  constructor(
    private readonly secrets: SecretsRepository,
    private readonly requests: SecretRequestsRepository,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    private readonly audit: AuditTrail,
  ) {}

  @Get()
  @Requires('workspace:read')
  @ApiContract({
    summary: 'Secret names (never values)',
    response: { status: 200, schema: secretListSchema },
  })
  async list(@CurrentPrincipal() principal: Principal) {
    const items = await this.secrets.list(principal.workspaceId);
    return {
      items: items.map((s) => ({
        name: s.name,
        createdAt: s.createdAt.toISOString(),
        updatedAt: s.updatedAt.toISOString(),
      })),
    };
  }

  @Put(':name')
  @Requires('secrets:write')
  @ApiContract({
    summary: 'Create or replace a secret value; fulfills the open secret request of that name, if any',
    body: putSecretBody,
    response: { status: 200, schema: secretPutSchema },
  })
  async put(
    @CurrentPrincipal() principal: Principal,
    @Param('name') rawName: string,
    @Body(new ZodPipe(putSecretBody)) body: z.output<typeof putSecretBody>,
  ) {
    const name = parseSecretName(rawName);
    const ciphertext = this.box.seal(body.value, secretContext(principal.workspaceId, name));
    const { created } = await this.secrets.put(principal.workspaceId, name, ciphertext);
    const fulfilled = await this.requests.fulfill(principal.workspaceId, name);
    await this.audit.record(principal, {
      action: 'secret.set',
      targetKind: 'secret',
      targetId: name,
      data: { name, created, fulfilledRequest: fulfilled > 0 },
    });
    return { name, created };
  }

  @Delete(':name')
  @Requires('secrets:write')
  @HttpCode(204)
  @ApiContract({ summary: 'Delete a secret', response: { status: 204 } })
  async remove(@CurrentPrincipal() principal: Principal, @Param('name') rawName: string) {
    const name = parseSecretName(rawName);
    if (!(await this.secrets.delete(principal.workspaceId, name))) {
      throw new NotFoundError('SECRET_NOT_FOUND', 'secret', name);
    }
    await this.audit.record(principal, {
      action: 'secret.deleted',
      targetKind: 'secret',
      targetId: name,
      data: { name },
    });
  }
}

function parseSecretName(name: string): string {
  try {
    return parseOrThrow(secretName, name, { prefix: 'name' });
  } catch (error) {
    if (error instanceof DomainError)
      throw new DomainError('SECRET_INVALID_NAME', 'invalid', error.message, error.details);
    throw error;
  }
}
