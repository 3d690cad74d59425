import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Prisma } from './generated/prisma/client';
import { SqlStatementError } from './errors';

/** Statement texts seen so far and the name each is prepared under (bounded: the texts are code, not data). */
const MAX_NAMED_STATEMENTS = 500;

/**
 * Raw SQL straight on the process's pg pool, for the statements every run pays for (creating it,
 * starting and ending its attempts). Prisma's `$queryRaw` runs the same text through its query
 * engine first, which measured at a third of the API's and a quarter of the worker's CPU per run;
 * here a statement costs node-postgres alone. Each text is a named prepared statement, so PostgreSQL
 * parses and plans it once per connection instead of on every run.
 *
 * Statements are built with `Prisma.sql` as everywhere else (its `text` has `$1…$n` placeholders and
 * its `values` the parameters), so a query moves here without being rewritten. Rows come back as
 * node-postgres decodes them: the same as `$queryRaw` for int4, text, uuid, jsonb and timestamptz
 * (what the hot statements return); an int8 or numeric column would be a string here, so cast those.
 */
export class SqlClient {
  private readonly names = new Map<string, string>();

  constructor(private readonly pool: pg.Pool) {}

  /** Runs one statement and returns its rows; a statement PostgreSQL refuses throws SqlStatementError. */
  async query<Rows extends unknown[] = unknown[]>(statement: Prisma.Sql): Promise<Rows> {
    const result = await this.run(statement);
    return result.rows as Rows;
  }

  /** Runs one statement and returns how many rows it changed. */
  async execute(statement: Prisma.Sql): Promise<number> {
    const result = await this.run(statement);
    return result.rowCount ?? 0;
  }

  private async run(statement: Prisma.Sql): Promise<pg.QueryResult> {
    try {
      return await this.pool.query({
        name: this.nameOf(statement.text),
        text: statement.text,
        values: statement.values as unknown[],
      });
    } catch (error) {
      // PostgreSQL's own refusals get the SQLSTATE the rest of the code reads (errors.ts); connection
      // trouble (ECONNREFUSED, "Connection terminated") is recognised as it is.
      if (error instanceof pg.DatabaseError && typeof error.code === 'string') {
        throw new SqlStatementError(error.code, error.message);
      }
      throw error;
    }
  }

  /** The prepared statement's name: from a hash of its text, so two texts never share one. */
  private nameOf(text: string): string | undefined {
    const known = this.names.get(text);
    if (known) return known;
    // Past the bound a text runs unnamed (parsed each time) rather than growing every connection's cache.
    if (this.names.size >= MAX_NAMED_STATEMENTS) return undefined;
    const name = `mf_${createHash('sha1').update(text).digest('base64url')}`;
    this.names.set(text, name);
    return name;
  }
}
