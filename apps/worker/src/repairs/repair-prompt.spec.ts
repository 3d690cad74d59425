import { describe, expect, it } from 'vitest';
import { buildRepairMessages, parseRepairAnswer } from './repair-prompt';

describe('parseRepairAnswer', () => {
  it('falls back to a TypeScript code block', () => {
    const answer = 'Fixed.\n```ts\nexport default async (input: unknown) => input;\n```';
    expect(parseRepairAnswer(answer)?.source).toBe('export default async (input: unknown) => input;\n');
  });

  const source = 'export default async function run() { return 1; }';

  it('reads a bare JSON answer', () => {
    expect(parseRepairAnswer(JSON.stringify({ source, explanation: 'fixed' }))).toEqual({
      source,
      explanation: 'fixed',
    });
  });

  it('reads JSON inside a code fence', () => {
    expect(
      parseRepairAnswer('Here you go:\n```json\n' + JSON.stringify({ source, explanation: 'x' }) + '\n```'),
    ).toEqual({
      source,
      explanation: 'x',
    });
  });

  it('falls back to a JavaScript code block', () => {
    expect(parseRepairAnswer('The field was renamed.\n```js\n' + source + '\n```')).toEqual({
      source: source + '\n',
      explanation: 'The field was renamed.',
    });
  });

  it('refuses an answer without a script', () => {
    expect(parseRepairAnswer('I cannot help with that.')).toBeNull();
    expect(parseRepairAnswer('{"explanation":"no source"}')).toBeNull();
  });
});

describe('buildRepairMessages', () => {
  it('tells the model the language and to answer in it, within what type stripping accepts', () => {
    const [system, user] = buildRepairMessages({
      automation: { id: 'a', name: 'crm-sync' },
      version: 2,
      language: 'typescript',
      source: 'export default async function run(input: { x?: { y: number } }) { return input.x!.y; }',
      manifest: {},
      error: { name: 'TypeError', message: 'x is undefined', location: 'script.js:1:78' },
      classification: { class: 'logic', reason: 'TypeError in the script' },
      input: {},
      hostCalls: [],
      recentSuccesses: [],
    });
    expect(system?.content).toMatch(/language/);
    expect(system?.content).toMatch(/never use enum, namespace/);
    expect(JSON.parse(user!.content.slice(user!.content.indexOf('{'))).language).toBe('typescript');
  });

  it('gives the model the source, the error and the input, and asks for JSON', () => {
    const [system, user] = buildRepairMessages({
      automation: { id: 'a', name: 'crm-sync' },
      version: 1,
      language: 'javascript',
      source: 'export default async function run(input) { return input.x.y; }',
      manifest: {},
      error: {
        name: 'TypeError',
        message: "Cannot read properties of undefined (reading 'y')",
        location: 'script.js:1:60',
      },
      classification: { class: 'logic', reason: 'TypeError' },
      input: { x: null },
      hostCalls: [],
      recentSuccesses: [],
    });
    expect(system!.content).toContain('"source"');
    expect(user!.content).toContain('crm-sync');
    expect(user!.content).toContain('script.js:1:60');
  });
});
