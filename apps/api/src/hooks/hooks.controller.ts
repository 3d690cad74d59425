import { Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import {
  hookAcceptedSchema,
  hookOutputSchema,
  webhookSchema,
  webhookTokenSchema,
} from '@mendflow/contracts/api';
import { ApiContract } from '../common/api-contract';
import { ApiHeader, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ErrorCodes } from '@mendflow/common';
import type { Request, Response } from 'express';
import { CurrentPrincipal, type Principal, Public, Requires } from '../auth/principal';
import { httpError } from '../common/http-error.filter';
import { UuidParam } from '../common/uuid.pipe';
import { HookRateLimited } from './hook-rate-limit';
import { type HookOutcome, HooksService } from './hooks.service';

const automationId = new UuidParam(ErrorCodes.AUTOMATION_NOT_FOUND, 'automation');

/** The owner's side: an automation's hook URL and its token. */
@ApiTags('webhooks')
@Controller('api/v1/automations/:id/webhook')
export class WebhookTokensController {
  constructor(private readonly hooks: HooksService) {}

  @Get()
  @Requires('workspace:read')
  @ApiContract({
    summary:
      "The automation's webhook: whether it is live (a webhook trigger deployed, the automation active), its token's prefix (never the token), the URL template and the signature check",
    response: { status: 200, schema: webhookSchema },
  })
  describe(@CurrentPrincipal() principal: Principal, @Param('id', automationId) id: string) {
    return this.hooks.describe(principal, id);
  }

  @Post('token')
  @Requires('automations:write')
  @HttpCode(201)
  @ApiContract({
    summary:
      'Create or rotate the webhook token: the answer holds the token and URL, once; the previous token stops working at once',
    response: { status: 201, schema: webhookTokenSchema },
  })
  async rotate(
    @CurrentPrincipal() principal: Principal,
    @Param('id', automationId) id: string,
    @Req() request: Request,
  ) {
    const created = await this.hooks.rotateToken(principal, id);
    // As this request reached the API (Host, and the scheme TRUST_PROXY lets a proxy report).
    return { ...created, url: `${request.protocol}://${request.get('host') ?? 'localhost'}${created.path}` };
  }
}

/** The sender's side: the public hook URL (its token is the credential). */
@ApiTags('webhooks')
@Controller('api/v1/hooks')
export class HooksController {
  constructor(private readonly hooks: HooksService) {}

  @Post(':automationId/:token')
  @Public()
  @ApiContract({
    summary:
      "Start a run with the request's body, query and selected headers as input (any content type); 202 with the run id, or with ?wait= the run's output once it finished (docs/webhooks.md)",
    response: [
      { status: 202, schema: hookAcceptedSchema },
      {
        status: 200,
        schema: hookOutputSchema,
        description: "the run's output, after ?wait= when it succeeded in time",
      },
    ],
    errors: [404, 413, 422, 429],
  })
  @ApiParam({ name: 'automationId', format: 'uuid' })
  @ApiParam({ name: 'token', description: 'the token from POST /automations/:id/webhook/token' })
  @ApiQuery({
    name: 'wait',
    required: false,
    description: 'seconds (1 to WEBHOOK_MAX_WAIT_SECONDS) to wait for the run to finish',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'a retry with the same key returns the same run',
  })
  async receive(
    @Param('automationId') automationId: string,
    @Param('token') token: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    let outcome: HookOutcome;
    try {
      outcome = await this.hooks.receive({
        automationId,
        token,
        rawBody: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
        headers: request.headers,
        query: request.query as Record<string, unknown>,
      });
    } catch (error) {
      if (error instanceof HookRateLimited) {
        response.setHeader('Retry-After', String(error.retryAfterSeconds));
        throw error.toHttp();
      }
      throw error;
    }
    send(response, outcome);
  }
}

/**
 * 202 `{ runId, status }` unless the caller waited and the run settled in time: then its output as the
 * JSON body (200) when it succeeded, or 422 RUN_FAILED with its public error when it failed, was
 * cancelled, or failed into action_needed (it waits for a person: no output is coming within a wait).
 */
function send(response: Response, { run, created, waited }: HookOutcome): void {
  response.setHeader('X-Mendflow-Run-Id', run.id);
  response.setHeader('X-Mendflow-Run-Status', run.status);
  if (!created) response.setHeader('Idempotent-Replayed', 'true');
  if (waited?.settled && run.status === 'succeeded') {
    response.status(200).json(run.output ?? null);
    return;
  }
  if (waited?.settled) {
    const error = run.error ? { name: run.error.name, message: run.error.message } : null;
    throw httpError(422, ErrorCodes.RUN_FAILED, `run ${run.id} ended ${run.status}`, {
      runId: run.id,
      status: run.status,
      error,
    });
  }
  response.status(202).json({ runId: run.id, status: run.status });
}
