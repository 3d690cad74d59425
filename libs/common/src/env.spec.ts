import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { parseEnv } from './env';

const schema = z.object({
  PORT: z.coerce.number().default(4000),
  REPAIR_BASE_URL: z.url().optional(),
  DATABASE_URL: z.string(),
});

describe('parseEnv', () => {
  it('treats an empty variable as unset, so defaults and optionals apply', () => {
    expect(parseEnv(schema, { PORT: '', REPAIR_BASE_URL: '', DATABASE_URL: 'x' })).toEqual({
      PORT: 4000,
      DATABASE_URL: 'x',
    });
  });

  it('names every bad or missing variable', () => {
    expect(() => parseEnv(schema, { PORT: 'abc' })).toThrow(/PORT: .*\n.*DATABASE_URL/s);
  });
});
