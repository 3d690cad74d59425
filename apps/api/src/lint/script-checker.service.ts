import { Injectable } from '@nestjs/common';
import {
  DomainError,
  ErrorCodes,
  type Manifest,
  manifestSchema,
  parseOrThrow,
  runConcurrency,
  type ScriptLanguage,
  ValidationError,
} from '@mendflow/common';
import { lintScript, type LintResult } from '@mendflow/lint';
import { inputSchemaProblem, RunInputValidator } from '../runs/run-input.validator';

/** What every create and new version goes through: a valid manifest, then a script that lints clean. */
@Injectable()
export class ScriptChecker {
  private readonly inputs = new RunInputValidator();

  lint(source: string, manifest?: unknown, language?: ScriptLanguage): LintResult {
    return lintScript({ source, manifest, language });
  }

  /**
   * Returns the manifest with defaults filled in and the language the version is stored with (the one
   * given, or the detected one), or throws a 400 naming the field or the diagnostics.
   */
  checkDeployable(
    source: string,
    manifest: unknown,
    language?: ScriptLanguage,
  ): { manifest: Manifest; language: ScriptLanguage } {
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
    this.checkScheduledInputs(parsed);
    const result = lintScript({ source, manifest: parsed, language });
    const errors = result.diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
    const first = errors[0];
    if (first) {
      throw new DomainError(
        ErrorCodes.AUTOMATION_INVALID_SOURCE,
        'invalid',
        `source: line ${first.line}:${first.column}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`,
        { field: 'source', language: result.language, diagnostics: result.diagnostics },
      );
    }
    return { manifest: parsed, language: result.language };
  }

  /**
   * A schedule's runs all get the trigger's `input`: checked now as a run's input would be (the
   * inputSchema, the concurrency key), so a bad one is a 400 at deploy rather than a failure per tick.
   */
  private checkScheduledInputs(manifest: Manifest): void {
    manifest.triggers.forEach((trigger, index) => {
      if (trigger.type !== 'cron') return;
      const input = trigger.input ?? null;
      try {
        this.inputs.check(manifest.inputSchema, input);
        runConcurrency(manifest.concurrency, input);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        throw new ValidationError(
          error.issues.map((issue) => ({ ...issue, path: `manifest.triggers.${index}.${issue.path}` })),
          ErrorCodes.AUTOMATION_INVALID_MANIFEST,
        );
      }
    });
  }
}
