import type { Manifest } from '@mendflow/common';

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
  /** Stable id: `syntax`, `manifest`, `inline-config`, a core ESLint rule id or `mendflow/…`. */
  ruleId: string;
}

export interface LintResult {
  /** False when any diagnostic is an error. */
  ok: boolean;
  diagnostics: LintDiagnostic[];
  /** The manifest with every default filled in, when it is valid. */
  manifest?: Manifest;
}
