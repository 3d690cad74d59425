import { type INestApplicationContext, Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { Server, ServerOptions } from 'socket.io';
import { reportConnectionTrouble } from '@mendflow/queue';

/**
 * Socket.IO over Redis: every API replica sees what the others and the workers publish (the emitter in
 * @mendflow/events), and room operations such as disconnecting a signed-out session reach every replica.
 */
export class RedisIoAdapter extends IoAdapter {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private server?: Server;

  constructor(app: INestApplicationContext, redisUrl: string) {
    super(app);
    this.pub = new Redis(redisUrl, { lazyConnect: true });
    this.sub = this.pub.duplicate();
    // ioredis reconnects by itself; without a listener each failed attempt would print an "unhandled" warning.
    const logger = new Logger('LiveEventsRedis');
    for (const client of [this.pub, this.sub])
      reportConnectionTrouble(client, (message) => logger.warn(`${message}; reconnecting`));
  }

  /** Connects both clients, so a bad REDIS_URL stops the start instead of failing the first socket. */
  async connect(): Promise<void> {
    await Promise.all([this.pub.connect(), this.sub.connect()]);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server = super.createIOServer(port, options);
    server.adapter(createAdapter(this.pub, this.sub));
    this.server = server;
    return server;
  }

  /**
   * For a shutdown: ends every client's transport without a Socket.IO disconnect packet, so clients
   * see "transport close" and reconnect by themselves (to another replica, or to this one restarted),
   * re-subscribing with the last seq they hold. A server-side `disconnect()` would tell them to stay away.
   */
  closeClientTransports(): number {
    if (!this.server) return 0;
    const count = this.server.engine.clientsCount;
    this.server.engine.close();
    return count;
  }

  override async dispose(): Promise<void> {
    await super.dispose();
    this.pub.disconnect();
    this.sub.disconnect();
  }
}
