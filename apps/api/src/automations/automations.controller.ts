import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
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
import { openApiSchema } from '../common/openapi';
import { UuidParam } from '../common/uuid.pipe';
import { ZodPipe } from '../common/zod.pipe';
import { automationDetailView, automationStatsView, automationView, versionView } from './automation.views';
import { AutomationsService } from './automations.service';

const automationId = new UuidParam(ErrorCodes.AUTOMATION_NOT_FOUND, 'automation');

@ApiTags('automations')
@ApiBearerAuth()
@Controller('api/v1/automations')
export class AutomationsController {
  constructor(private readonly automations: AutomationsService) {}

  @Post()
  @Requires('automations:write')
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an automation: lints the script and deploys it as version 1' })
  @ApiBody({ schema: openApiSchema(createAutomationBody) })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body(new ZodPipe(createAutomationBody)) body: CreateAutomationBody,
  ) {
    return automationDetailView(await this.automations.create(principal, body));
  }

  @Get()
  @Requires('workspace:read')
  @ApiOperation({ summary: 'List automations, newest first, with cursor pagination' })
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
  @ApiOperation({ summary: 'One automation with its deployed version (source and manifest)' })
  async get(@CurrentPrincipal() principal: Principal, @Param('id', automationId) id: string) {
    const automation = await this.automations.get(principal, id);
    const stats = await this.automations.stats(principal, [id]);
    return { ...automationDetailView(automation), stats: automationStatsView(stats.get(id)) };
  }

  @Get(':id/versions')
  @Requires('workspace:read')
  @ApiOperation({ summary: 'Every version of an automation, newest first' })
  async listVersions(@CurrentPrincipal() principal: Principal, @Param('id', automationId) id: string) {
    const versions = await this.automations.listVersions(principal, id);
    return { items: versions.map(versionView) };
  }

  @Post(':id/versions')
  @Requires('automations:write')
  @HttpCode(201)
  @ApiOperation({ summary: 'Deploy a new version (lints it first)' })
  @ApiBody({ schema: openApiSchema(createVersionBody) })
  async addVersion(
    @CurrentPrincipal() principal: Principal,
    @Param('id', automationId) id: string,
    @Body(new ZodPipe(createVersionBody)) body: CreateVersionBody,
  ) {
    return versionView(await this.automations.addVersion(principal, id, body));
  }

  @Patch(':id')
  @Requires('automations:write')
  @ApiOperation({ summary: 'Rename, describe, pause or resume an automation' })
  @ApiBody({ schema: openApiSchema(updateAutomationBody) })
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
  @ApiOperation({ summary: 'Delete an automation (its runs stay readable)' })
  async remove(@CurrentPrincipal() principal: Principal, @Param('id', automationId) id: string) {
    await this.automations.remove(principal, id);
  }

  @Post(':id/rollback')
  @Requires('automations:write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Re-deploy an earlier version' })
  @ApiBody({ schema: openApiSchema(rollbackBody) })
  async rollback(
    @CurrentPrincipal() principal: Principal,
    @Param('id', automationId) id: string,
    @Body(new ZodPipe(rollbackBody)) body: z.output<typeof rollbackBody>,
  ) {
    return versionView(await this.automations.rollback(principal, id, body.version));
  }
}
