import { Injectable } from '@nestjs/common';
import { DomainError, type FieldIssue, ValidationError } from '@mendflow/common';
import { Ajv, type ValidateFunction } from 'ajv';

const MAX_CACHED = 500;

const newAjv = () => new Ajv({ allErrors: true, strict: false });

/**
 * Why a manifest's `inputSchema` is not a JSON Schema this API can check inputs with (Ajv's own
 * message), or undefined when it compiles. Deploying checks it, so a run never meets a broken one.
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
 * Checks a run's input against the deployed manifest's `inputSchema` (JSON Schema), so a bad input is
 * a 400 naming the field instead of a failed run. Compiled validators are cached per schema text.
 */
@Injectable()
export class RunInputValidator {
  private readonly ajv = newAjv();
  private readonly compiled = new Map<string, ValidateFunction>();

  check(inputSchema: Record<string, unknown> | undefined, input: unknown): void {
    if (!inputSchema) return;
    const validate = this.compile(inputSchema);
    if (validate(input)) return;
    const issues: FieldIssue[] = (validate.errors ?? []).map((error) => {
      const pointer = error.instancePath.split('/').filter(Boolean);
      const missing = error.keyword === 'required' ? [String(error.params.missingProperty)] : [];
      return { path: ['input', ...pointer, ...missing].join('.'), message: error.message ?? 'is invalid' };
    });
    throw new ValidationError(issues, 'RUN_INPUT_INVALID');
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
