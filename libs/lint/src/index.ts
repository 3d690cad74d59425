export { lintScript } from './lint-script';
export type { LintDiagnostic, LintInput, LintResult } from './types';
export {
  detectLanguage,
  prepareScript,
  resolveLanguage,
  runnableScript,
  ScriptCompileError,
  scriptToRun,
  type StripResult,
  stripTypes,
} from './typescript';
