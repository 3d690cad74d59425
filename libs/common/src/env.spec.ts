import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { parseEnv } from './env';
import { checkExampleSecrets, EXAMPLE_SECRETS } from './example-secrets';

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

  it('says a missing variable is missing, not what its value should look like', () => {
    const urls = z.object({
      DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgresql:// URL' }),
    });
    expect(() => parseEnv(urls, {})).toThrow(
      'DATABASE_URL: is missing (set it in the environment or in .env; see .env.example)',
    );
    expect(() => parseEnv(urls, { DATABASE_URL: 'mysql://x' })).toThrow(
      'DATABASE_URL: must be a postgresql:// URL',
    );
  });
});

describe('example secrets', () => {
  it('are exactly the secrets .env.example ships with', () => {
    const example = readFileSync(fileURLToPath(new URL('../../../.env.example', import.meta.url)), 'utf8');
    for (const [name, value] of Object.entries(EXAMPLE_SECRETS)) {
      expect(example).toContain(`\n${name}=${value}\n`);
    }
  });

  it('warn when in use, and refuse to start in production', () => {
    const env = { MENDFLOW_ADMIN_PASSWORD: 'change-me-please', MENDFLOW_SECRET_KEY: 'ab'.repeat(32) };
    const warnings: string[] = [];
    checkExampleSecrets(env, ['MENDFLOW_ADMIN_PASSWORD', 'MENDFLOW_SECRET_KEY'], (m) => warnings.push(m));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/MENDFLOW_ADMIN_PASSWORD still hold/);
    expect(warnings[0]).not.toMatch(/MENDFLOW_SECRET_KEY/);
    expect(() =>
      checkExampleSecrets({ ...env, NODE_ENV: 'production' }, ['MENDFLOW_ADMIN_PASSWORD'], () => undefined),
    ).toThrow(/refusing to start with NODE_ENV=production: MENDFLOW_ADMIN_PASSWORD/);
    const quiet: string[] = [];
    checkExampleSecrets({ MENDFLOW_ADMIN_PASSWORD: 'mine' }, ['MENDFLOW_ADMIN_PASSWORD'], (m) =>
      quiet.push(m),
    );
    expect(quiet).toEqual([]);
  });
});
