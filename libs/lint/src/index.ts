export { lintScript } from './lint-script';
export type { LintDiagnostic, LintInput, LintResult } from './types';
export {
  detectLanguage,
  resolveLanguage,
  runnableScript,
  ScriptCompileError,
  type StripResult,
  stripTypes,
} from './typescript';
