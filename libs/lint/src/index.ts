export { lintScript } from './lint-script';
export type { LintDiagnostic, LintInput, LintResult } from './types';
export {
  detectLanguage,
  prepareScript,
  resolveLanguage,
  runnableScript,
  ScriptCompileError,
  type StripResult,
  stripTypes,
} from './typescript';
