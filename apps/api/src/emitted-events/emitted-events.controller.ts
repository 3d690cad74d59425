import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { routedEventSchema } from '@mendflow/contracts/api';
import { ApiContract } from '../common/api-contract';
import { ApiTags } from '@nestjs/swagger';
import { type EmitEventBody, emitEventBody } from '@mendflow/common';
import type { RoutedEvent } from '@mendflow/engine';
import { CurrentPrincipal, type Principal, Requires } from '../auth/principal';
import { ZodPipe } from '../common/zod.pipe';
import { EmittedEventsService } from './emitted-events.service';

export function routedEventView({ event, runs, skipped }: RoutedEvent) {
  return {
    id: event.id,
    name: event.name,
    runs: runs.map((run) => ({ id: run.id, automationId: run.automationId })),
    skipped: skipped.map((s) => ({ automationId: s.automationId, code: s.code, reason: s.reason })),
  };
}

@ApiTags('events')
@Controller('api/v1')
export class EmittedEventsController {
  constructor(private readonly events: EmittedEventsService) {}

  @Post('events')
  @Requires('runs:write')
  @HttpCode(202)
  @ApiContract({
    summary:
      'Emit an event: every automation with an event trigger for its name gets a run with the payload as input; subscribers whose inputSchema refuses the payload are listed under skipped',
    body: emitEventBody,
    response: { status: 202, schema: routedEventSchema },
  })
  async emit(
    @CurrentPrincipal() principal: Principal,
    @Body(new ZodPipe(emitEventBody)) body: EmitEventBody,
  ) {
    return routedEventView(await this.events.emit(principal, body));
  }
}
