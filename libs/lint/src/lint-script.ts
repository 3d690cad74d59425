import { Linter } from 'eslint';
import { checkManifest } from './manifest-check';
import { SCRIPT_FILENAME, scriptConfig } from './script-config';
import type { LintDiagnostic, LintResult } from './types';

/**
 * One Linter for the process: it holds no per-file state between `verify` calls, and building it (rule
 * registry, parser) is the expensive part. `verify` is synchronous, so sharing it is safe.
 */
let linter: Linter | undefined;

/**
 * Lints a script against its manifest: syntax, the script contract (a callable default export, no
 * modules, no Node globals), permissions visible in the source, and the manifest's schema. Pure and
 * synchronous; it reads no file and no ESLint config.
 */
export function lintScript(source: string, manifest?: unknown): LintResult {
  const checked = checkManifest(manifest);
  // A fixed cwd: the config's `files` then match the same way whatever directory the process runs in.
  linter ??= new Linter({ configType: 'flat', cwd: '/' });
  const messages = linter.verify(source, scriptConfig(checked.permissions), { filename: SCRIPT_FILENAME });
  const diagnostics = [...checked.diagnostics, ...messages.map(toDiagnostic)];
  return {
    ok: diagnostics.every((diagnostic) => diagnostic.severity !== 'error'),
    diagnostics,
    ...(checked.manifest ? { manifest: checked.manifest } : {}),
  };
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
