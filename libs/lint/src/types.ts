import type { Manifest, ScriptLanguage } from '@mendflow/common';

export interface LintDiagnostic {
  /**
   * 1-based position in the script. Diagnostics about the manifest (ruleId `manifest`) point at no
   * line of the script and carry line 0, column 0.
   */
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
  /** Only errors block a deploy; warnings are advice. */
  severity: 'error' | 'warning';
  message: string;
  /**
   * Stable id: `syntax`, `typescript-unsupported` (a TypeScript construct type stripping cannot remove),
   * `manifest`, `inline-config`, a core ESLint rule id or `mendflow/…`.
   */
  ruleId: string;
}

/** What `lintScript` lints; the CLI calls it locally with the same object. */
export interface LintInput {
  source: string;
  manifest?: unknown;
  /** Detected from the source when absent (see detectLanguage). */
  language?: ScriptLanguage;
}

export interface LintResult {
  /** False when any diagnostic is an error. */
  ok: boolean;
  /** The language the source was linted as: the one given, or the detected one. */
  language: ScriptLanguage;
  diagnostics: LintDiagnostic[];
  /** The manifest with every default filled in, when it is valid. */
  manifest?: Manifest;
}
