import type { ScriptLanguage } from '@mendflow/common';
import { Linter } from 'eslint';
import { checkManifest } from './manifest-check';
import { SCRIPT_FILENAME, scriptConfig } from './script-config';
import type { LintDiagnostic, LintInput, LintResult } from './types';
import { prepareScript } from './typescript';

/**
 * One Linter for the process: it holds no per-file state between `verify` calls, and building it (rule
 * registry, parser) is the expensive part. `verify` is synchronous, so sharing it is safe.
 */
let linter: Linter | undefined;

/**
 * Lints a script against its manifest: syntax, the script contract (a callable default export, no
 * modules, no Node globals), permissions visible in the source, and the manifest's schema. Pure and
 * synchronous; it reads no file and no ESLint config. A TypeScript script (given, or detected when
 * `language` is absent) is type-stripped first: a TypeScript syntax error or a construct stripping
 * refuses is the diagnostic, otherwise the rules run on the stripped code, whose positions are the
 * TypeScript source's.
 */
export function lintScript(input: LintInput): LintResult;
export function lintScript(source: string, manifest?: unknown, language?: ScriptLanguage): LintResult;
export function lintScript(
  sourceOrInput: string | LintInput,
  manifestArg?: unknown,
  languageArg?: ScriptLanguage,
): LintResult {
  const { source, manifest, language } =
    typeof sourceOrInput === 'string'
      ? { source: sourceOrInput, manifest: manifestArg, language: languageArg }
      : sourceOrInput;
  const checked = checkManifest(manifest);
  const { language: resolved, stripped } = prepareScript(source, language);
  const scriptDiagnostics = stripped.ok
    ? lintJavaScript(stripped.code, checked.permissions)
    : [stripped.diagnostic];
  const diagnostics = [...checked.diagnostics, ...scriptDiagnostics];
  return {
    ok: diagnostics.every((diagnostic) => diagnostic.severity !== 'error'),
    language: resolved,
    diagnostics,
    ...(checked.manifest ? { manifest: checked.manifest } : {}),
  };
}

function lintJavaScript(code: string, permissions: Parameters<typeof scriptConfig>[0]): LintDiagnostic[] {
  // A fixed cwd: the config's `files` then match the same way whatever directory the process runs in.
  linter ??= new Linter({ configType: 'flat', cwd: '/' });
  return linter.verify(code, scriptConfig(permissions), { filename: SCRIPT_FILENAME }).map(toDiagnostic);
}

function toDiagnostic(message: Linter.LintMessage): LintDiagnostic {
  return {
    line: message.line,
    column: message.column,
    ...(message.endLine === undefined ? {} : { endLine: message.endLine }),
    ...(message.endColumn === undefined ? {} : { endColumn: message.endColumn }),
    severity: message.severity === 2 ? 'error' : 'warning',
    message: message.fatal ? message.message.replace(/^Parsing error: /, 'Syntax error: ') : message.message,
    ruleId: message.ruleId ?? (message.fatal ? 'syntax' : 'inline-config'),
  };
}
