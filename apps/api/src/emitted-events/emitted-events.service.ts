import { Injectable } from '@nestjs/common';
import type { EmitEventBody } from '@mendflow/common';
import { EventRouter, type RoutedEvent } from '@mendflow/engine';
import type { Principal } from '../auth/principal';

@Injectable()
export class EmittedEventsService {
  constructor(private readonly router: EventRouter) {}

  /** An event from outside: no chain (depth 0), so policy never refuses it. */
  async emit(principal: Principal, body: EmitEventBody): Promise<RoutedEvent> {
    const outcome = await this.router.emit(principal.workspaceId, { name: body.name, payload: body.payload });
    if (!outcome.ok)
      throw new Error(`an event from outside was refused (${outcome.code}): ${outcome.message}`);
    return outcome;
  }
}
