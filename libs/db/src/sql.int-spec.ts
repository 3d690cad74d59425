import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from './database';
import { describeDatabaseError, isDatabaseUnavailable, loggableError, SqlStatementError } from './errors';
import { Prisma } from './generated/prisma/client';
import { createTestDatabase, type TestDatabase } from './testing/test-database';

let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase('sql_client');
  db = createDb(database.url, { poolSize: 2 });
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

describe('SqlClient: raw statements on the shared pool (PostgreSQL)', () => {
  it('decodes rows as $queryRaw does for the types the hot statements return', async () => {
    const at = new Date('2026-12-04T01:02:03.456Z');
    const statement = Prisma.sql`
      SELECT ${7}::int AS n, ${'text'}::text AS t, ${JSON.stringify({ a: [1, 'x'] })}::jsonb AS j,
             ${at}::timestamptz AS at, gen_random_uuid() AS id, ${null}::int AS nothing,
             ${['approve', 'reject']}::text[] AS actions`;
    const [fast] = await db.sql.query<Record<string, unknown>[]>(statement);
    const [prisma] = await db.$queryRaw<Record<string, unknown>[]>(statement);
    expect(fast).toMatchObject({ n: 7, t: 'text', j: { a: [1, 'x'] }, at, nothing: null });
    expect(fast!.actions).toEqual(['approve', 'reject']);
    expect({ ...fast, id: null }).toEqual({ ...prisma, id: null });
  });

  it('prepares each text once per connection and runs it again by name', async () => {
    const single = createDb(database.url, { poolSize: 1 });
    try {
      const statement = (n: number) => Prisma.sql`SELECT ${n}::int + 1 AS next`;
      for (let n = 0; n < 5; n++) {
        expect(await single.sql.query<{ next: number }[]>(statement(n))).toEqual([{ next: n + 1 }]);
      }
      const prepared = await single.sql.query<{ name: string }[]>(
        Prisma.sql`SELECT name FROM pg_prepared_statements WHERE statement LIKE ${'%AS next'}`,
      );
      expect(prepared).toHaveLength(1);
      expect(prepared[0]!.name).toMatch(/^mf_/);
    } finally {
      await single.$disconnect();
    }
  });

  it('counts the rows a statement changed', async () => {
    await db.sql.execute(Prisma.sql`CREATE TABLE sql_counted (n int)`);
    expect(
      await db.sql.execute(Prisma.sql`INSERT INTO sql_counted SELECT generate_series(1, ${3}::int)`),
    ).toBe(3);
    expect(await db.sql.execute(Prisma.sql`UPDATE sql_counted SET n = n + 1 WHERE n > ${1}::int`)).toBe(2);
  });

  it("turns PostgreSQL's refusal into an error that names the SQLSTATE, never the value", async () => {
    const secret = 'not-a-uuid-but-a-secret';
    const error = await db.sql.query(Prisma.sql`SELECT ${secret}::uuid AS id`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SqlStatementError);
    expect(isDatabaseUnavailable(error)).toBe(false);
    expect(describeDatabaseError(error)).toBe(
      'PostgreSQL refused the statement (SQLSTATE 22P02: invalid input syntax for type uuid: "…")',
    );
    expect(loggableError(error)).toContain('cause postgres 22P02');
    expect(loggableError(error)).not.toContain(secret);
    expect(String(error)).not.toContain(secret);
  });

  it('survives the server closing an idle connection: the next statement gets a new one', async () => {
    const single = createDb(database.url, { poolSize: 1 });
    try {
      const [first] = await single.sql.query<{ pid: number }[]>(Prisma.sql`SELECT pg_backend_pid() AS pid`);
      const pid = first!.pid;
      await db.sql.query(Prisma.sql`SELECT pg_terminate_backend(${pid}::int)`);
      // The pool hears of it as an idle client's error (with no listener, an uncaught exception).
      await new Promise((resolve) => setTimeout(resolve, 200));
      const [again] = await single.sql.query<{ pid: number }[]>(Prisma.sql`SELECT pg_backend_pid() AS pid`);
      expect(again!.pid).not.toBe(pid);
    } finally {
      await single.$disconnect();
    }
  });

  it('reports an unreachable server as unavailable, and ends the pool with the client', async () => {
    const unreachable = createDb('postgresql://postgres@127.0.0.1:1/nowhere', { poolSize: 1 });
    const error = await unreachable.sql.query(Prisma.sql`SELECT 1`).catch((e: unknown) => e);
    expect(isDatabaseUnavailable(error)).toBe(true);
    await unreachable.$disconnect();
    await expect(unreachable.sql.query(Prisma.sql`SELECT 1`)).rejects.toThrow(/pool after calling end/i);
  });
});
