import { type ArgumentsHost, Catch, Logger, type WsExceptionFilter } from '@nestjs/common';
import { DomainError } from '@mendflow/common';
import { loggableError } from '@mendflow/db';
import type { SubscriptionAck } from './subscription';

/**
 * Errors thrown before a Socket.IO handler runs (a guard refusing the caller's role) still answer the
 * client's acknowledgement, in the same `{ ok: false, error: { code, message } }` as a refusal from the
 * handler itself, instead of Nest's generic `exception` event that would leave the client waiting.
 */
@Catch()
export class SubscriptionAckFilter implements WsExceptionFilter {
  private readonly logger = new Logger('LiveEvents');

  catch(exception: unknown, host: ArgumentsHost): void {
    // Socket.IO handlers are called with (client, data, ack, pattern).
    const ack = host.getArgByIndex<unknown>(2);
    let answer: SubscriptionAck;
    if (exception instanceof DomainError) {
      answer = { ok: false, error: { code: exception.code, message: exception.message } };
    } else {
      this.logger.error('a live message failed', loggableError(exception));
      answer = {
        ok: false,
        error: { code: 'INTERNAL', message: 'the request could not be handled; try again' },
      };
    }
    if (typeof ack === 'function') (ack as (answer: SubscriptionAck) => void)(answer);
  }
}
