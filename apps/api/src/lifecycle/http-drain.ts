import type { Server } from 'node:http';

export interface DrainOutcome {
  /** Requests that were still under way when the grace ran out; their connections were cut. */
  abandoned: number;
}

/**
 * Lets an HTTP server stop without cutting a request: counts the requests under way, and on `drain`
 * stops accepting connections, closes the idle keep-alive ones, asks the busy ones to close after
 * their response (`Connection: close`), and waits for the last response, up to a grace after which
 * whatever is left is cut. WebSocket upgrades are not requests here: the live-events adapter ends
 * those itself, so its clients reconnect elsewhere.
 */
export class HttpDrain {
  private inFlight = 0;
  private draining = false;
  private idle: Array<() => void> = [];

  constructor(private readonly server: Server) {
    server.on('request', (request, response) => {
      this.inFlight += 1;
      if (this.draining) response.setHeader('Connection', 'close');
      // 'close' fires once per response, whether it finished or its client went away.
      response.once('close', () => {
        this.inFlight -= 1;
        if (this.inFlight === 0) for (const wake of this.idle.splice(0)) wake();
      });
    });
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  async drain(graceMs: number): Promise<DrainOutcome> {
    this.draining = true;
    // close() stops the listener; since Node 19 it also ends idle keep-alive connections.
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace-over'>((resolve) => {
      timer = setTimeout(() => resolve('grace-over'), graceMs);
    });
    const finished = this.inFlight === 0 ? Promise.resolve('finished' as const) : this.whenIdle();
    const outcome = await Promise.race([finished, graceOver]);
    clearTimeout(timer);
    const abandoned = outcome === 'grace-over' ? this.inFlight : 0;
    // Responses sent but connections kept open by their clients (and, past the grace, busy ones).
    this.server.closeAllConnections();
    await closed;
    return { abandoned };
  }

  private whenIdle(): Promise<'finished'> {
    return new Promise((resolve) => this.idle.push(() => resolve('finished')));
  }
}
