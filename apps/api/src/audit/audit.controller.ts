import { Controller, Get, Query } from '@nestjs/common';
import { auditPageSchema } from '@mendflow/contracts/api';
import { ApiContract } from '../common/api-contract';
import { ApiTags } from '@nestjs/swagger';
import { dateParam, listQuery } from '@mendflow/common';
import { type AuditRecord, AuditRepository } from '@mendflow/db';
import { z } from 'zod';
import { CurrentPrincipal, type Principal, Requires } from '../auth/principal';
import { ZodPipe } from '../common/zod.pipe';

const auditQuery = listQuery.extend({
  actorId: z.string().trim().min(1).max(100).optional(),
  actorKind: z.enum(['user', 'repair', 'system']).optional(),
  action: z
    .string()
    .trim()
    .regex(
      /^[a-z_]+(\.[a-z_]+)*(\.\*)?$/,
      'must be an action such as automation.deployed, or a kind such as member.*',
    )
    .max(100)
    .optional(),
  targetKind: z.string().trim().min(1).max(50).optional(),
  targetId: z.string().trim().min(1).max(200).optional(),
  // The shared date parameter (1970 to 9999): year 0000 parses in JavaScript, PostgreSQL refuses it.
  createdFrom: dateParam.optional(),
  createdTo: dateParam.optional(),
});

export function auditEntryView(entry: AuditRecord) {
  return {
    id: entry.id,
    actor: { kind: entry.actorKind, id: entry.actorId, email: entry.actorEmail },
    action: entry.action,
    target: { kind: entry.targetKind, id: entry.targetId },
    data: entry.data,
    createdAt: entry.createdAt.toISOString(),
  };
}

@ApiTags('audit')
@Controller('api/v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditRepository) {}

  @Get()
  @Requires('audit:read')
  @ApiContract({
    summary:
      'Who did what, when, to what: newest first; filter by actor, action (or member.* for a kind), target and time; cursor pagination',
    response: { status: 200, schema: auditPageSchema },
  })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query(new ZodPipe(auditQuery)) query: z.output<typeof auditQuery>,
  ) {
    const { limit, cursor, ...filters } = query;
    const page = await this.audit.list(principal.workspaceId, filters, { limit, cursor });
    return { items: page.items.map(auditEntryView), nextCursor: page.nextCursor };
  }
}
