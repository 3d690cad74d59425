import { Injectable } from '@nestjs/common';
import {
  DomainError,
  ErrorCodes,
  type Manifest,
  manifestSchema,
  parseOrThrow,
  ValidationError,
} from '@mendflow/common';
import { lintScript, type LintResult } from '@mendflow/lint';
import { inputSchemaProblem } from '../runs/run-input.validator';

/** What every create and new version goes through: a valid manifest, then a script that lints clean. */
@Injectable()
export class ScriptChecker {
  lint(source: string, manifest?: unknown): LintResult {
    return lintScript(source, manifest);
  }

  /** Returns the manifest with defaults filled in, or throws a 400 naming the field or the diagnostics. */
  checkDeployable(source: string, manifest: unknown): Manifest {
    const parsed = parseOrThrow(manifestSchema, manifest, {
      prefix: 'manifest',
      code: ErrorCodes.AUTOMATION_INVALID_MANIFEST,
    });
    const schemaProblem = parsed.inputSchema && inputSchemaProblem(parsed.inputSchema);
    if (schemaProblem) {
      throw new ValidationError(
        [{ path: 'manifest.inputSchema', message: `is not a valid JSON Schema: ${schemaProblem}` }],
        ErrorCodes.AUTOMATION_INVALID_MANIFEST,
      );
    }
    const result = lintScript(source, parsed);
    const errors = result.diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
    const first = errors[0];
    if (first) {
      throw new DomainError(
        ErrorCodes.AUTOMATION_INVALID_SOURCE,
        'invalid',
        `source: line ${first.line}:${first.column}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`,
        { field: 'source', diagnostics: result.diagnostics },
      );
    }
    return parsed;
  }
}
