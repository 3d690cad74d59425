import type { ArgumentsHost } from '@nestjs/common';
import { DomainError } from '@mendflow/common';
import { describe, expect, it, vi } from 'vitest';
import { SubscriptionAckFilter } from './subscription-ack.filter';

/** A Socket.IO handler's arguments as Nest passes them: (client, data, ack, pattern). */
const host = (ack: unknown) =>
  ({ getArgByIndex: (index: number) => [{}, {}, ack, 'subscribe'][index] }) as ArgumentsHost;

describe('SubscriptionAckFilter', () => {
  it("answers the client's acknowledgement with the refusal's code, as the handler itself would", () => {
    const ack = vi.fn();
    new SubscriptionAckFilter().catch(
      new DomainError('FORBIDDEN', 'forbidden', 'no longer a member'),
      host(ack),
    );
    expect(ack).toHaveBeenCalledWith({
      ok: false,
      error: { code: 'FORBIDDEN', message: 'no longer a member' },
    });
  });

  it('hides anything else behind INTERNAL, and does nothing without an acknowledgement', () => {
    const ack = vi.fn();
    const filter = new SubscriptionAckFilter();
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    filter.catch(new Error('database password is hunter2'), host(ack));
    expect(ack).toHaveBeenCalledWith({
      ok: false,
      error: { code: 'INTERNAL', message: 'the request could not be handled; try again' },
    });
    expect(() => filter.catch(new Error('x'), host(undefined))).not.toThrow();
  });
});
