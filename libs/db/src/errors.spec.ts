import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable, loggableError, retryWhileDatabaseUnavailable } from './errors';
import { Prisma } from './generated/prisma/client';

const SECRET = 'alice@example.com-secret-value';

describe('loggableError', () => {
  it('keeps the closing sentence and stack frames of a validation error, never the rendered arguments', () => {
    const error = new Prisma.PrismaClientValidationError(
      [
        'Invalid `prisma.$queryRaw()` invocation:',
        '',
        `{ query: "SELECT 1 WHERE x = $1", parameters: { values: "[\\"${SECRET}\\"]" } }`,
        '',
        'Invalid value for argument `parameters`: Could not convert from `JSON date object` to `PrismaValue`.',
      ].join('\n'),
      { clientVersion: '6' },
    );
    const logged = loggableError(error);
    expect(logged).not.toContain(SECRET);
    expect(logged).toMatch(/^PrismaClientValidationError: Invalid value for argument `parameters`/);
    expect(logged).toMatch(/\n\s+at /);
  });

  it('names the code and the schema names in meta, but no meta values or quoted values', () => {
    const error = new Prisma.PrismaClientKnownRequestError(
      `Invalid \`tx.user.create()\` invocation\n\nUnique constraint failed: Key (email)=("${SECRET}") already exists.`,
      {
        code: 'P2002',
        clientVersion: '6',
        meta: {
          modelName: 'User',
          target: ['email'],
          driverAdapterError: { cause: { detail: `Key (email)=(${SECRET})` } },
        },
      },
    );
    const logged = loggableError(error);
    expect(logged).not.toContain(SECRET);
    expect(logged).toContain('PrismaClientKnownRequestError P2002');
    expect(logged).toContain('modelName="User", target=["email"], driverAdapterError');
  });

  it("gives a driver adapter error's SQLSTATE and redacts the values PostgreSQL quotes", () => {
    const error = Object.assign(new Error(`invalid input syntax for type uuid: "${SECRET}"`), {
      name: 'DriverAdapterError',
      cause: { kind: 'postgres', code: '22P02', message: `invalid input syntax: "${SECRET}"` },
    });
    const logged = loggableError(error);
    expect(logged).not.toContain(SECRET);
    expect(logged).toMatch(
      /^DriverAdapterError: invalid input syntax for type uuid: "…"; cause postgres 22P02/,
    );
  });

  it('leaves other errors their stack', () => {
    const error = new TypeError('x is not a function');
    expect(loggableError(error)).toBe(error.stack);
    expect(loggableError('plain')).toBe('plain');
  });
});

describe('isDatabaseUnavailable', () => {
  // Both seen while PostgreSQL restarted under a worker writing step results (the chaos suite's
  // fault): thrown as anything else, the step's result was lost after its side effect happened.
  it('recognises what a server restart mid-query surfaces as', () => {
    expect(
      isDatabaseUnavailable(new Error('Client has encountered a connection error and is not queryable')),
    ).toBe(true);
    expect(
      isDatabaseUnavailable(
        new Prisma.PrismaClientKnownRequestError(
          'Transaction API error: Transaction already closed: A rollback cannot be executed on a committed transaction.',
          { code: 'P2028', clientVersion: '6' },
        ),
      ),
    ).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('leaves a refused statement to its caller', () => {
    expect(
      isDatabaseUnavailable(
        new Prisma.PrismaClientKnownRequestError('Unique constraint failed', {
          code: 'P2002',
          clientVersion: '6',
        }),
      ),
    ).toBe(false);
    expect(isDatabaseUnavailable(new Error('invalid input syntax for type uuid'))).toBe(false);
  });
});

describe('retryWhileDatabaseUnavailable', () => {
  const unreachable = () =>
    Object.assign(new Error('connect ECONNREFUSED'), {
      name: 'DriverAdapterError',
      cause: { kind: 'DatabaseNotReachable' },
    });
  const noSleep = async () => undefined;

  it('writes again while the database is unavailable, with growing waits, until the write lands', async () => {
    let calls = 0;
    const waits: number[] = [];
    const result = await retryWhileDatabaseUnavailable(
      async () => {
        if (++calls < 5) throw unreachable();
        return 'stored';
      },
      60_000,
      async (ms) => void waits.push(ms),
    );
    expect(result).toBe('stored');
    expect(waits).toEqual([100, 200, 400, 800]);
  });

  it('throws any other error at once, and an outage that outlasts the bound', async () => {
    let calls = 0;
    const refused = new Error('invalid input');
    await expect(
      retryWhileDatabaseUnavailable(
        async () => {
          calls++;
          throw refused;
        },
        60_000,
        noSleep,
      ),
    ).rejects.toBe(refused);
    expect(calls).toBe(1);
    await expect(
      retryWhileDatabaseUnavailable(
        async () => {
          throw unreachable();
        },
        0,
        noSleep,
      ),
    ).rejects.toThrow('ECONNREFUSED');
  });
});
