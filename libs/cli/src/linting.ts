import { lintScript, type LintDiagnostic } from '@mendflow/lint';
import { relative } from 'node:path';
import { type Api, call } from './api';
import type { ScriptFolder } from './folder';

export interface FileLint {
  file: string;
  ok: boolean;
  diagnostics: LintDiagnostic[];
}

/**
 * Lints a script: JavaScript locally with the linter the API uses (libs/lint, no server needed);
 * TypeScript through the API's POST /api/v1/lint, which type-strips it first (needs a login).
 */
export async function lintFolder(
  script: Pick<ScriptFolder, 'file' | 'source' | 'manifest' | 'language'>,
  api?: () => Promise<Api>,
): Promise<FileLint> {
  if (!script.language) {
    const result = lintScript(script.source, script.manifest);
    return { file: script.file, ok: result.ok, diagnostics: result.diagnostics };
  }
  const connected = await (api ?? missingApi)();
  const result = await call(
    connected.client.POST('/api/v1/lint', {
      body: { source: script.source, manifest: script.manifest, language: script.language },
    }),
  );
  return { file: script.file, ok: result.ok, diagnostics: result.diagnostics };
}

function missingApi(): Promise<Api> {
  throw new Error('linting TypeScript needs the API');
}

/** `file:line:col severity message rule`, the shape editors and CI annotations understand. */
export function formatDiagnostic(file: string, diagnostic: LintDiagnostic, cwd = process.cwd()): string {
  const where = `${relative(cwd, file) || file}:${diagnostic.line}:${diagnostic.column}`;
  return `${where} ${diagnostic.severity} ${diagnostic.message} ${diagnostic.ruleId}`;
}
