import { Controller, Get, Param, Query } from '@nestjs/common';
import { repairListSchema, repairSchema } from '@mendflow/contracts/api';
import { ApiContract } from '../common/api-contract';
import { ApiTags } from '@nestjs/swagger';
import { type RepairRecord, RepairsRepository } from '@mendflow/db';
import { z } from 'zod';
import { CurrentPrincipal, type Principal, Requires } from '../auth/principal';
import { UuidParam } from '../common/uuid.pipe';
import { ZodPipe } from '../common/zod.pipe';

const listRepairsQuery = z.strictObject({
  automationId: z.uuid().optional(),
  runId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

function repairSummaryView(repair: RepairRecord) {
  return {
    id: repair.id,
    automationId: repair.automationId,
    runId: repair.runId,
    attempt: repair.attempt,
    status: repair.status,
    provider: repair.provider,
    model: repair.model,
    explanation: repair.explanation,
    deployedVersionId: repair.deployedVersionId,
    tokens: {
      prompt: repair.promptTokens,
      completion: repair.completionTokens,
      total: repair.promptTokens + repair.completionTokens,
    },
    costUsd: repair.costUsd,
    error: repair.error,
    createdAt: repair.createdAt.toISOString(),
    updatedAt: repair.updatedAt.toISOString(),
  };
}

@ApiTags('repairs')
@Controller('api/v1/repairs')
export class RepairsController {
  constructor(private readonly repairs: RepairsRepository) {}

  @Get()
  @Requires('workspace:read')
  @ApiContract({
    summary: 'Proposed and deployed repairs, newest first',
    response: { status: 200, schema: repairListSchema },
  })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query(new ZodPipe(listRepairsQuery)) query: z.output<typeof listRepairsQuery>,
  ) {
    return { items: (await this.repairs.list(principal.workspaceId, query)).map(repairSummaryView) };
  }

  @Get(':id')
  @Requires('workspace:read')
  @ApiContract({
    summary: 'One repair with its diff, explanation, validation, prompt, answer and token use',
    response: { status: 200, schema: repairSchema },
  })
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new UuidParam('REPAIR_NOT_FOUND', 'repair')) id: string,
  ) {
    const repair = await this.repairs.get(principal.workspaceId, id);
    return {
      ...repairSummaryView(repair),
      baseVersionId: repair.baseVersionId,
      candidateSource: repair.candidateSource,
      diff: repair.diff,
      validation: repair.validation,
      prompt: repair.prompt,
      answer: repair.answer,
    };
  }
}
