export { lintScript } from './lint-script';
export type { LintDiagnostic, LintResult } from './types';
