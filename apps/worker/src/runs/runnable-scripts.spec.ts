import { describe, expect, it } from 'vitest';
import { RunnableScripts } from './runnable-scripts';

const TYPED =
  'export default async function run(input: { n: number }): Promise<number> { return input.n + 1; }';
const UNTYPED =
  'export default async function run(input                ) {                  return input.n + 1; }';

describe('RunnableScripts: the JavaScript each version runs as', () => {
  it('runs a JavaScript version as written', () => {
    const source = 'export default async function run(input) { return input.n + 1; }';
    expect(new RunnableScripts().of({ id: 'v-js', source, language: 'javascript' })).toEqual({
      ok: true,
      code: source,
    });
  });

  it('strips a TypeScript version keeping every line:column', () => {
    const result = new RunnableScripts().of({ id: 'v-ts', source: TYPED, language: 'typescript' });
    expect(result.ok).toBe(true);
    expect(result.ok && result.code.replace(/\s+/g, ' ')).toBe(UNTYPED.replace(/\s+/g, ' '));
    expect(result.ok && result.code.length).toBe(TYPED.length);
  });

  it('strips a version once: later attempts of it get what the first strip made', () => {
    const scripts = new RunnableScripts();
    const first = scripts.of({ id: 'v-1', source: TYPED, language: 'typescript' });
    // Versions never change, so the id decides: a (hypothetical) other source under it is not stripped again.
    const again = scripts.of({ id: 'v-1', source: 'const x: number = 1;', language: 'typescript' });
    expect(again).toBe(first);
    const other = scripts.of({ id: 'v-2', source: 'const x: number = 1;', language: 'typescript' });
    expect(other).toEqual({ ok: true, code: 'const x         = 1;' });
  });

  it('remembers a version that does not strip, with its diagnostic', () => {
    const scripts = new RunnableScripts();
    const source = 'enum Color { Red }\nexport default async function run() { return Color.Red; }';
    const result = scripts.of({ id: 'v-enum', source, language: 'typescript' });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.diagnostic.ruleId).toBe('typescript-unsupported');
    expect(scripts.of({ id: 'v-enum', source, language: 'typescript' })).toBe(result);
  });
});
