import { Injectable } from '@nestjs/common';
import { type FieldIssue, ValidationError } from '@mendflow/common';
import { Ajv, type ValidateFunction } from 'ajv';

const MAX_CACHED = 500;

/**
 * Checks a run's input against the deployed manifest's `inputSchema` (JSON Schema), so a bad input is
 * a 400 naming the field instead of a failed run. Compiled validators are cached per schema text.
 */
@Injectable()
export class RunInputValidator {
  private readonly ajv = new Ajv({ allErrors: true, strict: false });
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
      if (this.compiled.size >= MAX_CACHED) this.compiled.clear();
      validate = this.ajv.compile(schema);
      this.compiled.set(key, validate);
    }
    return validate;
  }
}
