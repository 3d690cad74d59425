import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  runEventListSchema,
  runLogLineSchema,
  runLogListSchema,
  runPageSchema,
  runSchema,
} from '@mendflow/contracts/api';
import { ApiContract } from '../common/api-contract';
import { ApiTags } from '@nestjs/swagger';
import {
  type CancelRunBody,
  cancelRunBody,
  dateParam,
  ErrorCodes,
  listQuery,
  REQUEST_LIMITS,
  RUN_STATUSES,
  RUN_TRIGGERS,
  type StartRunBody,
  startRunBody,
} from '@mendflow/common';
import { z } from 'zod';
import { CurrentPrincipal, type Principal, Requires } from '../auth/principal';
import { UuidParam } from '../common/uuid.pipe';
import { ZodPipe } from '../common/zod.pipe';
import { runEventView, runSummaryView, runView } from './run.views';
import { RunControlService } from './run-control.service';
import { RunsService } from './runs.service';

const runId = new UuidParam(ErrorCodes.RUN_NOT_FOUND, 'run');
const automationId = new UuidParam(ErrorCodes.AUTOMATION_NOT_FOUND, 'automation');

const listRunsQuery = listQuery.extend({
  status: z.enum(RUN_STATUSES).optional(),
  automationId: z.uuid().optional(),
  trigger: z.enum(RUN_TRIGGERS).optional(),
  failureClass: z.enum(['transient', 'logic', 'auth', 'policy', 'unknown']).optional(),
  createdFrom: dateParam.optional(),
  createdTo: dateParam.optional(),
});
const eventsQuery = z.strictObject({
  after: z.coerce.number().int().min(0).max(REQUEST_LIMITS.maxInt).default(0),
});

@ApiTags('runs')
@Controller('api/v1')
export class RunsController {
  constructor(
    private readonly runs: RunsService,
    private readonly control: RunControlService,
  ) {}

  @Post('automations/:id/runs')
  @Requires('runs:write')
  @HttpCode(202)
  @ApiContract({
    summary: 'Start a run of the deployed version; the same idempotencyKey returns the same run',
    body: startRunBody,
    response: { status: 202, schema: runSchema },
    errors: [409],
  })
  async start(
    @CurrentPrincipal() principal: Principal,
    @Param('id', automationId) id: string,
    @Body(new ZodPipe(startRunBody)) body: StartRunBody,
  ) {
    return runView(await this.runs.start(principal, id, body));
  }

  @Get('runs')
  @Requires('workspace:read')
  @ApiContract({
    summary:
      'Run history, newest first; filter by status, automation, trigger, failure class and time; cursor pagination',
    response: { status: 200, schema: runPageSchema },
  })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query(new ZodPipe(listRunsQuery)) query: z.output<typeof listRunsQuery>,
  ) {
    const { limit, cursor, ...filters } = query;
    const page = await this.runs.list(principal, filters, { limit, cursor });
    return { items: page.items.map(runSummaryView), nextCursor: page.nextCursor };
  }

  @Get('runs/:id')
  @Requires('workspace:read')
  @ApiContract({
    summary:
      'One run with its output or error and every attempt; an exploration run (MCP execute) also carries the snippet it ran',
    response: { status: 200, schema: runSchema },
  })
  async get(@CurrentPrincipal() principal: Principal, @Param('id', runId) id: string) {
    const { run, attempts, exploration } = await this.runs.get(principal, id);
    return { ...runView(run, attempts), ...(exploration && { exploration }) };
  }

  @Get('runs/:id/events')
  @Requires('workspace:read')
  @ApiContract({
    summary: 'The run timeline: events in seq order, after a given seq',
    response: { status: 200, schema: runEventListSchema },
  })
  async events(
    @CurrentPrincipal() principal: Principal,
    @Param('id', runId) id: string,
    @Query(new ZodPipe(eventsQuery)) query: z.output<typeof eventsQuery>,
  ) {
    const events = await this.runs.events(principal, id, query.after);
    return { items: events.map(runEventView) };
  }

  @Get('runs/:id/logs')
  @Requires('workspace:read')
  @ApiContract({ summary: 'Log lines of every attempt', response: { status: 200, schema: runLogListSchema } })
  async logs(@CurrentPrincipal() principal: Principal, @Param('id', runId) id: string) {
    const attempts = await this.runs.logs(principal, id);
    // A JSON column the worker fills with the sandbox's LogEntry lines; the e2e contract check reads them.
    return { items: attempts as { attempt: number; logs: z.input<typeof runLogLineSchema>[] }[] };
  }

  @Post('runs/:id/cancel')
  @Requires('runs:write')
  @HttpCode(200)
  @ApiContract({
    summary:
      'Cancel a run; a running attempt is stopped promptly. The optional reason is kept in the run.cancelled event',
    body: cancelRunBody,
    bodyRequired: false,
    response: { status: 200, schema: runSchema },
    errors: [409],
  })
  async cancel(
    @CurrentPrincipal() principal: Principal,
    @Param('id', runId) id: string,
    @Body(new ZodPipe(cancelRunBody)) body: CancelRunBody,
  ) {
    await this.control.cancel(principal, id, body.reason);
    const { run, attempts } = await this.runs.get(principal, id);
    return runView(run, attempts);
  }

  @Post('runs/:id/retry')
  @Requires('runs:write')
  @HttpCode(202)
  @ApiContract({
    summary: 'Run a failed, cancelled or action-needed run again on the deployed version',
    response: { status: 202, schema: runSchema },
    errors: [409],
  })
  async retry(@CurrentPrincipal() principal: Principal, @Param('id', runId) id: string) {
    await this.control.retry(principal, id);
    const { run, attempts } = await this.runs.get(principal, id);
    return runView(run, attempts);
  }
}
