import { Ajv, type ValidateFunction } from 'ajv';
import { DomainError, type FieldIssue, ValidationError } from './errors';

const MAX_CACHED = 500;

const newAjv = () => new Ajv({ allErrors: true, strict: false });

/**
 * Why a manifest's `inputSchema` is not a JSON Schema runs can be checked with (Ajv's own message), or
 * undefined when it compiles. Deploying checks it, so a run never meets a broken one.
 */
export function inputSchemaProblem(schema: Record<string, unknown>): string | undefined {
  try {
    newAjv().compile(schema);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Checks a run's input against the deployed manifest's `inputSchema` (JSON Schema), naming the fields
 * (`input.orderId`). The API answers 400 with it when a run is started; the event router skips a
 * subscriber whose schema refuses the payload. Compiled validators are cached per schema text.
 */
export class InputSchemaChecker {
  private readonly ajv = newAjv();
  private readonly compiled = new Map<string, ValidateFunction>();

  /** What is wrong with the input, field by field; empty when it matches or there is no schema. */
  issues(inputSchema: Record<string, unknown> | undefined, input: unknown): FieldIssue[] {
    if (!inputSchema) return [];
    const validate = this.compile(inputSchema);
    if (validate(input)) return [];
    return (validate.errors ?? []).map((error) => {
      const pointer = error.instancePath.split('/').filter(Boolean);
      const missing = error.keyword === 'required' ? [String(error.params.missingProperty)] : [];
      return { path: ['input', ...pointer, ...missing].join('.'), message: error.message ?? 'is invalid' };
    });
  }

  /** Throws RUN_INPUT_INVALID naming the fields when the input does not match. */
  check(inputSchema: Record<string, unknown> | undefined, input: unknown): void {
    const issues = this.issues(inputSchema, input);
    if (issues.length > 0) throw new ValidationError(issues, 'RUN_INPUT_INVALID');
  }

  private compile(schema: Record<string, unknown>): ValidateFunction {
    const key = JSON.stringify(schema);
    let validate = this.compiled.get(key);
    if (!validate) {
      try {
        validate = this.ajv.compile(schema);
      } catch (error) {
        // Only a version deployed before inputSchema was checked at deploy time can get here.
        throw new DomainError(
          'RUN_INPUT_SCHEMA_INVALID',
          'conflict',
          `the deployed version's inputSchema is not a valid JSON Schema (${(error as Error).message}); deploy a corrected version`,
        );
      }
      if (this.compiled.size >= MAX_CACHED) this.compiled.clear();
      this.compiled.set(key, validate);
    }
    return validate;
  }
}
