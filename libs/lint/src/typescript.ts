import type { ScriptLanguage } from '@mendflow/common';
import { transformSync } from 'amaro';
import type { LintDiagnostic } from './types';

/*
 * TypeScript scripts are type-stripped, not transpiled. amaro (Node's own type stripper: swc compiled to
 * wasm) in `strip-only` mode replaces every annotation with whitespace, so each line:column of the
 * JavaScript it returns is the line:column of the TypeScript that was written. Lint diagnostics and the
 * stack traces of a run error therefore point at the TypeScript source with no source map to keep, store
 * or apply. The price: constructs that need code generation (enum, namespace, parameter properties,
 * `import x = require()`) are refused with a diagnostic at their location instead of being compiled —
 * each has a plain equivalent (a const object, a module-level const, an assignment in the constructor).
 *
 * This module is the one owner of that step: the linter, the API's deploy path (through the linter), the
 * worker (before every attempt) and the repair loop all go through it. It has no database or framework
 * dependency, so the CLI runs it locally.
 */

export type StripResult = { ok: true; code: string } | { ok: false; diagnostic: LintDiagnostic };

/** amaro's error shape (swc): 1-based `startLine`, 0-based `startColumn`. */
interface SwcError {
  code: 'UnsupportedSyntax' | 'InvalidSyntax';
  message: string;
  startLine?: number;
  startColumn?: number;
  endLine?: number;
  endColumn?: number;
}

function isSwcError(error: unknown): error is SwcError {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return code === 'UnsupportedSyntax' || code === 'InvalidSyntax';
}

/** Strips the types of a TypeScript source; a syntax error or a construct strip-only refuses is a diagnostic. */
export function stripTypes(source: string): StripResult {
  try {
    return { ok: true, code: transformSync(source, { mode: 'strip-only' }).code };
  } catch (error) {
    if (!isSwcError(error)) throw error;
    return { ok: false, diagnostic: toDiagnostic(error, source.split('\n')) };
  }
}

function toDiagnostic(error: SwcError, lines: string[]): LintDiagnostic {
  // Every swc error measured carries a location; the guard keeps a diagnostic valid (line 1, column 1) if one ever does not.
  const line = error.startLine && error.startLine >= 1 ? error.startLine : 1;
  const column = utf16Column(lines[line - 1] ?? '', error.startColumn ?? 0) + 1;
  const end =
    error.endLine && error.endLine >= 1 && error.endColumn !== undefined
      ? {
          endLine: error.endLine,
          endColumn: utf16Column(lines[error.endLine - 1] ?? '', error.endColumn) + 1,
        }
      : {};
  const unsupported = error.code === 'UnsupportedSyntax';
  return {
    line,
    column,
    ...end,
    severity: 'error',
    message: unsupported
      ? `${error.message.replace(/ in strip-only mode$/, '')}: TypeScript scripts are type-stripped, so constructs that generate code (enum, namespace, parameter properties) cannot be used; write the JavaScript equivalent (e.g. a const object instead of an enum)`
      : `Syntax error: ${error.message}`,
    ruleId: unsupported ? 'typescript-unsupported' : 'syntax',
  };
}

/**
 * swc's 0-based column counts a character as 1 below U+0800, 2 up to U+FFFF and 3 above (measured on
 * amaro 1.2.1, see typescript.spec.ts); diagnostics, like ESLint's and V8's, count UTF-16 code units.
 * Identical for ASCII lines.
 */
function utf16Column(lineText: string, swcColumn: number): number {
  let counted = 0;
  let index = 0;
  for (const char of lineText) {
    if (counted >= swcColumn) break;
    const code = char.codePointAt(0)!;
    counted += code > 0xffff ? 3 : code >= 0x800 ? 2 : 1;
    index += char.length;
  }
  return index;
}

/**
 * The language of a source whose version named none. The rule (docs/scripts.md): a source that type
 * stripping changes is TypeScript (it has annotations, interfaces, `as`, generics…); one that strips to
 * itself is JavaScript; one that uses a construct only TypeScript has (an enum, a namespace) is
 * TypeScript, so it gets the diagnostic that explains the refusal. A source that does not parse is
 * JavaScript: the JavaScript parser then reports the syntax error, as it always has.
 */
export function detectLanguage(source: string): ScriptLanguage {
  return prepareScript(source).language;
}

/** The language the version is stored with: the one given, or the detected one. */
export function resolveLanguage(source: string, language?: ScriptLanguage): ScriptLanguage {
  return language ?? detectLanguage(source);
}

/**
 * The language of a source (given, or detected as above) and the JavaScript to lint or run for it, with
 * one strip at most: detection's strip is the one used (a 256 KiB script takes ~100 ms to strip).
 */
export function prepareScript(
  source: string,
  language?: ScriptLanguage,
): { language: ScriptLanguage; stripped: StripResult } {
  const asWritten: StripResult = { ok: true, code: source };
  if (language === 'javascript') return { language, stripped: asWritten };
  const stripped = stripTypes(source);
  if (language === 'typescript') return { language, stripped };
  if (stripped.ok) return { language: stripped.code === source ? 'javascript' : 'typescript', stripped };
  return stripped.diagnostic.ruleId === 'typescript-unsupported'
    ? { language: 'typescript', stripped }
    : { language: 'javascript', stripped: asWritten };
}

/** Thrown by `runnableScript` for a TypeScript source that does not strip (it would not have deployed). */
export class ScriptCompileError extends Error {
  constructor(readonly diagnostic: LintDiagnostic) {
    super(`line ${diagnostic.line}:${diagnostic.column}: ${diagnostic.message}`);
    this.name = 'ScriptCompileError';
  }
}

/**
 * The JavaScript the sandbox runs for a stored version: the source itself, or its type-stripped form with
 * identical line:column positions; or why a TypeScript source does not strip.
 */
export function scriptToRun(source: string, language: ScriptLanguage): StripResult {
  return language === 'javascript' ? { ok: true, code: source } : stripTypes(source);
}

/** scriptToRun's JavaScript, or ScriptCompileError for a source that does not strip. */
export function runnableScript(source: string, language: ScriptLanguage): string {
  const script = scriptToRun(source, language);
  if (!script.ok) throw new ScriptCompileError(script.diagnostic);
  return script.code;
}
