import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  type CreateAutomationBody,
  type CreateVersionBody,
  createAutomationBody,
  createVersionBody,
  ErrorCodes,
  listQuery,
} from '@mendflow/common';
import type { z } from 'zod';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { openApiSchema } from '../common/openapi';
import { UuidParam } from '../common/uuid.pipe';
import { ZodPipe } from '../common/zod.pipe';
import { automationDetailView, automationView, versionView } from './automation.views';
import { AutomationsService } from './automations.service';

const automationId = new UuidParam(ErrorCodes.AUTOMATION_NOT_FOUND, 'automation');

@ApiTags('automations')
@ApiBearerAuth()
@Controller('api/v1/automations')
export class AutomationsController {
  constructor(private readonly automations: AutomationsService) {}

  @Post()
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
  @ApiOperation({ summary: 'List automations, newest first, with cursor pagination' })
  async list(@CurrentPrincipal() principal: Principal, @Query(new ZodPipe(listQuery)) query: z.output<typeof listQuery>) {
    const page = await this.automations.list(principal, query);
    return { items: page.items.map(automationView), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One automation with its deployed version (source and manifest)' })
  async get(@CurrentPrincipal() principal: Principal, @Param('id', automationId) id: string) {
    return automationDetailView(await this.automations.get(principal, id));
  }

  @Get(':id/versions')
  @ApiOperation({ summary: 'Every version of an automation, newest first' })
  async listVersions(@CurrentPrincipal() principal: Principal, @Param('id', automationId) id: string) {
    const versions = await this.automations.listVersions(principal, id);
    return { items: versions.map(versionView) };
  }

  @Post(':id/versions')
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
}
