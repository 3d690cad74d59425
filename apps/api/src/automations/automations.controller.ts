import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  automationDetailSchema,
  automationDetailWithStatsSchema,
  automationPageSchema,
  versionListSchema,
  versionSchema,
} from '@mendflow/contracts/api';
import { ApiContract } from '../common/api-contract';
import { ApiTags } from '@nestjs/swagger';
import {
  type CreateAutomationBody,
  type CreateVersionBody,
  createAutomationBody,
  createVersionBody,
  ErrorCodes,
  listQuery,
  rollbackBody,
  type UpdateAutomationBody,
  updateAutomationBody,
} from '@mendflow/common';
import type { z } from 'zod';
import { CurrentPrincipal, type Principal, Requires } from '../auth/principal';
import { UuidParam } from '../common/uuid.pipe';
import { ZodPipe } from '../common/zod.pipe';
import { automationDetailView, automationStatsView, automationView, versionView } from './automation.views';
import { AutomationsService } from './automations.service';

const automationId = new UuidParam(ErrorCodes.AUTOMATION_NOT_FOUND, 'automation');

@ApiTags('automations')
@Controller('api/v1/automations')
export class AutomationsController {
  constructor(private readonly automations: AutomationsService) {}

  @Post()
  @Requires('automations:write')
  @HttpCode(201)
  @ApiContract({
    summary: 'Create an automation: lints the script and deploys it as version 1',
    body: createAutomationBody,
    response: { status: 201, schema: automationDetailSchema },
    errors: [409],
  })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body(new ZodPipe(createAutomationBody)) body: CreateAutomationBody,
  ) {
    return automationDetailView(await this.automations.create(principal, body));
  }

  @Get()
  @Requires('workspace:read')
  @ApiContract({
    summary: 'List automations, newest first, with cursor pagination',
    response: { status: 200, schema: automationPageSchema },
  })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query(new ZodPipe(listQuery)) query: z.output<typeof listQuery>,
  ) {
    const page = await this.automations.list(principal, query);
    const stats = await this.automations.stats(
      principal,
      page.items.map((a) => a.id),
    );
    return {
      items: page.items.map((a) => ({ ...automationView(a), stats: automationStatsView(stats.get(a.id)) })),
      nextCursor: page.nextCursor,
    };
  }

  @Get(':id')
  @Requires('workspace:read')
  @ApiContract({
    summary: 'One automation with its deployed version (source and manifest)',
    response: { status: 200, schema: automationDetailWithStatsSchema },
  })
  async get(@CurrentPrincipal() principal: Principal, @Param('id', automationId) id: string) {
    const automation = await this.automations.get(principal, id);
    const stats = await this.automations.stats(principal, [id]);
    return { ...automationDetailView(automation), stats: automationStatsView(stats.get(id)) };
  }

  @Get(':id/versions')
  @Requires('workspace:read')
  @ApiContract({
    summary: 'Every version of an automation, newest first',
    response: { status: 200, schema: versionListSchema },
  })
  async listVersions(@CurrentPrincipal() principal: Principal, @Param('id', automationId) id: string) {
    const versions = await this.automations.listVersions(principal, id);
    return { items: versions.map(versionView) };
  }

  @Post(':id/versions')
  @Requires('automations:write')
  @HttpCode(201)
  @ApiContract({
    summary: 'Deploy a new version (lints it first)',
    body: createVersionBody,
    response: { status: 201, schema: versionSchema },
    errors: [409],
  })
  async addVersion(
    @CurrentPrincipal() principal: Principal,
    @Param('id', automationId) id: string,
    @Body(new ZodPipe(createVersionBody)) body: CreateVersionBody,
  ) {
    return versionView(await this.automations.addVersion(principal, id, body));
  }

  @Patch(':id')
  @Requires('automations:write')
  @ApiContract({
    summary: 'Rename, describe, pause or resume an automation',
    body: updateAutomationBody,
    response: { status: 200, schema: automationDetailSchema },
    errors: [409],
  })
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', automationId) id: string,
    @Body(new ZodPipe(updateAutomationBody)) body: UpdateAutomationBody,
  ) {
    return automationDetailView(await this.automations.update(principal, id, body));
  }

  @Delete(':id')
  @Requires('automations:write')
  @HttpCode(204)
  @ApiContract({ summary: 'Delete an automation (its runs stay readable)', response: { status: 204 } })
  async remove(@CurrentPrincipal() principal: Principal, @Param('id', automationId) id: string) {
    await this.automations.remove(principal, id);
  }

  @Post(':id/rollback')
  @Requires('automations:write')
  @HttpCode(200)
  @ApiContract({
    summary: 'Re-deploy an earlier version',
    body: rollbackBody,
    response: { status: 200, schema: versionSchema },
    errors: [409],
  })
  async rollback(
    @CurrentPrincipal() principal: Principal,
    @Param('id', automationId) id: string,
    @Body(new ZodPipe(rollbackBody)) body: z.output<typeof rollbackBody>,
  ) {
    return versionView(await this.automations.rollback(principal, id, body.version));
  }
}
