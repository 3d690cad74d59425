import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client';
import { SqlClient } from './sql';

/**
 * The process's database handle: the Prisma client, and `sql` for the hot statements (SqlClient).
 * Both draw on one pg pool, so the connection budget (`poolSize`) is the process's whole budget.
 */
export type Db = PrismaClient & { readonly sql: SqlClient };

/** One pooled client per process. Queries go through @prisma/adapter-pg (no native engine; see prisma/README.md). */
export function createDb(url: string, options: { poolSize?: number } = {}): Db {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
  // An idle connection the server closed (a restart, a terminated backend, a client still ending when
  // its database is dropped) is reported here and already out of the pool: the next query opens a new
  // one, and a query that fails meanwhile throws where it was made. Unheard, the event would be an
  // uncaught error (Prisma's own listener is removed when it disconnects, before the pool ends).
  pool.on('error', () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const disconnect = prisma.$disconnect.bind(prisma);
  return Object.assign(prisma, {
    sql: new SqlClient(pool),
    // Prisma leaves a pool it was given open: the pool is ended with the client.
    $disconnect: async () => {
      await disconnect();
      if (!pool.ended) await pool.end();
    },
  });
}
