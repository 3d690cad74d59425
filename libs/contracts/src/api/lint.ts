import { z } from 'zod';
import { SCRIPT_LANGUAGES } from '../script-language';

export const lintDiagnosticSchema = z
  .object({
    line: z.int(),
    column: z.int(),
    endLine: z.int().optional(),
    endColumn: z.int().optional(),
    severity: z.enum(['error', 'warning']),
    message: z.string(),
    /** Stable id: `syntax`, `manifest`, `inline-config`, a core ESLint rule id or `mendflow/…`. */
    ruleId: z.string(),
  })
  .meta({ id: 'LintDiagnostic' });
export const lintResultSchema = z
  .object({
    ok: z.boolean(),
    /** The language the source was linted as: the one given, or the detected one. */
    language: z.enum(SCRIPT_LANGUAGES),
    diagnostics: z.array(lintDiagnosticSchema),
  })
  .meta({ id: 'LintResult' });
