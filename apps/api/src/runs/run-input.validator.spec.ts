import { describe, expect, it } from 'vitest';
import { inputSchemaProblem, RunInputValidator } from './run-input.validator';

const schema = {
  type: 'object',
  required: ['orderId'],
  properties: {
    orderId: { type: 'string' },
    items: { type: 'array', items: { type: 'object', properties: { qty: { type: 'integer', minimum: 1 } } } },
  },
};

describe('RunInputValidator', () => {
  const validator = new RunInputValidator();

  it('accepts input that matches, and anything when there is no schema', () => {
    expect(() => validator.check(schema, { orderId: 'o-1', items: [{ qty: 2 }] })).not.toThrow();
    expect(() => validator.check(undefined, 42)).not.toThrow();
  });

  it('names the missing or wrong field with a stable code', () => {
    expect(() => validator.check(schema, {})).toThrow(
      expect.objectContaining({
        code: 'RUN_INPUT_INVALID',
        message: expect.stringMatching(/^input\.orderId: /),
      }),
    );
    expect(() => validator.check(schema, { orderId: 'o', items: [{ qty: 0 }] })).toThrow(
      /input\.items\.0\.qty: must be >= 1/,
    );
  });
});

describe('inputSchema problems', () => {
  it('says why a schema does not compile, and nothing for one that does', () => {
    expect(inputSchemaProblem(schema)).toBeUndefined();
    expect(inputSchemaProblem({ type: 'nonsense' })).toMatch(/schema is invalid/);
    expect(inputSchemaProblem({ $ref: '#/nowhere' })).toMatch(/resolve reference/);
    expect(inputSchemaProblem({ type: 'string', pattern: '(' })).toMatch(/Invalid regular expression/);
  });

  it('answers a run of a version whose stored schema does not compile with a 409, not a crash', () => {
    expect(() => new RunInputValidator().check({ type: 'nonsense' }, {})).toThrow(
      expect.objectContaining({ code: 'RUN_INPUT_SCHEMA_INVALID', kind: 'conflict' }),
    );
  });
});
